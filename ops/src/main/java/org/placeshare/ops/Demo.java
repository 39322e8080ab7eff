package org.placeshare.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.fhir.synthetic.AgencyPerson;
import org.placeshare.fhir.synthetic.AgencyPopulation;
import org.placeshare.fhir.synthetic.AgencyServer;
import org.placeshare.fhir.synthetic.CouncilCareServer;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * The demo: synthetic upstreams on loopback (a GP practice and an acute trust as real FHIR servers,
 * a council adult social care system, four agencies that do not hold the NHS number as JSON APIs,
 * and a reference demographic index), the model agreements, the demo's client systems, and the
 * gateway in front of them with its embedded PostgreSQL.
 */
final class Demo implements AutoCloseable {

  static final int PEOPLE = 50;

  /** The most synthetic people the demo makes: a population for the cohort benchmark. */
  static final int MAX_PEOPLE = 100_000;

  /**
   * Members a bulk job decides and fetches at once, unless told otherwise: the gateway's default.
   */
  static final int COHORT_CONCURRENCY = 8;

  /** The demo GP practice, which records consents and signs them with its own key. */
  static final String GP = "Y90001";

  /** The demo acute trust, whose consents the gateway records and signs for it. */
  static final String ACUTE = "R9A";

  /** The demo council, whose adult social care case system does not speak FHIR. */
  static final String COUNCIL = "E08000026";

  static final String GP_SOURCE = "gp-y90001";
  static final String ACUTE_SOURCE = "acute-r9a";
  static final String COUNCIL_SOURCE = "council-asc";

  /** The council's BI tool: a SMART Backend Services system client (ES384 key as a JWKS). */
  static final String BI_CLIENT = "council-bi";

  static final long SEED = 2026;

  /** The resource types each agency's mapping makes, the Patient first. */
  static final Map<Agency, List<String>> AGENCY_TYPES =
      Map.of(
          Agency.POLICE, List.of("Patient", "Observation", "Flag"),
          Agency.HOUSING, List.of("Patient", "EpisodeOfCare", "Observation", "ServiceRequest"),
          Agency.SCHOOLS, List.of("Patient", "Observation", "Flag"),
          Agency.YOUTH_JUSTICE, List.of("Patient", "EpisodeOfCare", "Procedure"));

  /** The agencies all of whose records are criminal offence data. */
  static final Set<Agency> CRIMINAL_OFFENCE_DATA = Set.of(Agency.POLICE, Agency.YOUTH_JUSTICE);

  /** The synthetic reference index (as PDS), an upstream like the sources. */
  static final String REFERENCE_INDEX = "reference-index";

  /** The printed curl lines end with the status code, which their comments promise. */
  static final String CURL = "curl -s -w '\\n%{http_code}\\n' ";

  final Vertx vertx;
  final Gateway gateway;
  final DemoFolder folder;
  final List<SyntheticPerson> people;

  /** The council's caseload (every synthetic person), registered as a Group at start. */
  final String caseload;

  /** Tell us once: the agencies' receivers and subscriptions, made at start. */
  final DemoTellUsOnce tellUsOnce;

  private final Map<String, AutoCloseable> sources;

  private Demo(
      Vertx vertx,
      Gateway gateway,
      DemoFolder folder,
      List<SyntheticPerson> people,
      String caseload,
      DemoTellUsOnce tellUsOnce,
      Map<String, AutoCloseable> sources) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.folder = folder;
    this.people = people;
    this.caseload = caseload;
    this.tellUsOnce = tellUsOnce;
    this.sources = sources;
  }

  static Demo start(DemoFolder folder, String host, int port, Clock clock) throws Exception {
    return start(folder, host, port, clock, Set.of(), PEOPLE);
  }

  /**
   * @param down source ids to leave stopped, to see a partial view
   * @param size how many synthetic people the sources hold (the first 50 are always the same)
   */
  static Demo start(
      DemoFolder folder, String host, int port, Clock clock, Set<String> down, int size)
      throws Exception {
    return start(folder, host, port, clock, down, size, COHORT_CONCURRENCY);
  }

  /**
   * @param cohortConcurrency members a bulk job decides and fetches at once ({@code
   *     cohorts.concurrency}), for the cohort benchmark
   */
  static Demo start(
      DemoFolder folder,
      String host,
      int port,
      Clock clock,
      Set<String> down,
      int size,
      int cohortConcurrency)
      throws Exception {
    if (size < PEOPLE || size > MAX_PEOPLE) {
      throw new IllegalArgumentException(
          "--people: expected " + PEOPLE + " to " + MAX_PEOPLE + ", got " + size);
    }
    folder.prepare();
    List<SyntheticPerson> people = SyntheticPopulation.generate(size, SEED);
    Map<String, AutoCloseable> servers = new LinkedHashMap<>();
    Vertx vertx = Vertx.vertx();
    try {
      servers.put(GP_SOURCE, fhir(SyntheticRecords.Kind.GP, "gp", people));
      servers.put(ACUTE_SOURCE, fhir(SyntheticRecords.Kind.ACUTE, "acute", people));
      servers.put(COUNCIL_SOURCE, CouncilCareServer.start(0, people));
      AgencyPopulation agencies = AgencyPopulation.demo(people);
      for (Agency agency : Agency.values()) {
        servers.put(agency.sourceId, agency.start(0, agencies.people(agency)));
      }
      Map<String, URI> urls = new LinkedHashMap<>();
      urls.put(GP_SOURCE, ((FhirSourceServer) servers.get(GP_SOURCE)).baseUrl());
      urls.put(ACUTE_SOURCE, ((FhirSourceServer) servers.get(ACUTE_SOURCE)).baseUrl());
      urls.put(COUNCIL_SOURCE, ((CouncilCareServer) servers.get(COUNCIL_SOURCE)).baseUrl());
      // The reference demographic index the demo's people are traced against, as PDS: the demo's
      // people and those the agencies hold besides.
      List<TracingPopulation.IndexPerson> indexed =
          new ArrayList<>(ReferenceIndexServer.indexPeople(people));
      indexed.addAll(AgencyPopulation.demoTracing().index());
      servers.put(REFERENCE_INDEX, ReferenceIndexServer.start(0, indexed));
      urls.put(REFERENCE_INDEX, ((ReferenceIndexServer) servers.get(REFERENCE_INDEX)).baseUrl());
      for (Agency agency : Agency.values()) {
        urls.put(agency.sourceId, ((AgencyServer) servers.get(agency.sourceId)).baseUrl());
      }
      for (String id : down) {
        AutoCloseable server = servers.remove(id);
        if (server == null) {
          throw new IllegalArgumentException(
              "--down: expected one of " + urls.keySet() + ", got " + id);
        }
        server.close();
      }
      List<Integer> witnessPorts = DemoWitnesses.ports(port);
      writeConfig(
          folder, host, port, urls, DemoWitnesses.config(folder, witnessPorts), cohortConcurrency);
      Gateway gateway = Gateway.start(vertx, GatewayConfig.load(folder.config()), clock).await();
      // The partners' witnesses, once the database they share with the gateway is up: the
      // gateway's submissions back off until they answer.
      servers.put(
          "witnesses", DemoWitnesses.start(vertx, gateway.pool(), folder, witnessPorts, clock));
      seedRegister(gateway, people, clock);
      DemoHouseholds.seed(gateway, people, clock);
      String base = "http://127.0.0.1:" + gateway.port();
      String caseload = registerCaseload(folder, base, people, clock);
      // The person the agencies hold: the GP practice by registration, the others by cohort.
      DemoTellUsOnce tellUsOnce =
          DemoTellUsOnce.start(
              folder, base, AgencyPopulation.demoPerson(people).nhsNumber(), clock, System.out);
      // Closed with the upstreams, after the gateway: its worker may be sending to them.
      servers.put("tell-us-once", tellUsOnce);
      awaitFirstSync(folder, base, clock);
      DemoWitnesses.awaitWitnessed(base);
      return new Demo(vertx, gateway, folder, people, caseload, tellUsOnce, servers);
    } catch (Exception e) {
      for (AutoCloseable s : servers.values()) {
        s.close();
      }
      vertx.close().await();
      throw e;
    }
  }

  /**
   * Writes the council's caseload (every synthetic person) to {@code caseload.txt} and registers it
   * as a Group, as the council's intelligence service would.
   */
  private static String registerCaseload(
      DemoFolder folder, String base, List<SyntheticPerson> people, Clock clock) throws Exception {
    List<String> numbers = people.stream().map(p -> p.nhsNumber().toString()).toList();
    Files.write(folder.caseload(), numbers);
    String token = TokenCommand.fetch(folder, base, DemoClient.COUNCIL_INTEL, "PUBHLTH", clock);
    var response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/fhir/Group"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/fhir+json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            CohortCommand.group(numbers, "council caseload")))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException(
          "the demo caseload was not registered: " + CohortCommand.problem(response));
    }
    return new JsonObject(response.body()).getString("id");
  }

  /**
   * Waits (at most {@link #FIRST_SYNC_WAIT}) for the start-up sync to have traced every agency's
   * people, so that the printed view of the demo person holds their records at once; asks as the IG
   * lead does ({@code GET /linkage/sources}). A sync that failed has ended too: its trouble shows.
   */
  private static void awaitFirstSync(DemoFolder folder, String base, Clock clock) throws Exception {
    String token = TokenCommand.fetch(folder, base, DemoClient.IG_CONSOLE, "HOPERAT", clock);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + FIRST_SYNC_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/linkage/sources"))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200
          && new JsonObject(response.body())
              .getJsonArray("sources").stream()
                  .allMatch(s -> ((JsonObject) s).getString("lastOutcome") != null)) {
        return;
      }
      Thread.sleep(100);
    }
    // The views still work; the agencies' records join them as the sync goes on.
  }

  /** Longest the demo waits at start for the agencies' people to be traced. */
  static final Duration FIRST_SYNC_WAIT = Duration.ofSeconds(60);

  /** The demo's synthetic people, the same at every start. */
  static List<SyntheticPerson> people() {
    return SyntheticPopulation.generate(PEOPLE, SEED);
  }

  private static FhirSourceServer fhir(
      SyntheticRecords.Kind kind, String prefix, List<SyntheticPerson> people) throws Exception {
    return FhirSourceServer.start(0, SyntheticRecords.forSource(kind, prefix, people));
  }

  /** Stops one source while the demo runs: the views go on without it. */
  void stopSource(String id) throws Exception {
    AutoCloseable server = sources.remove(id);
    if (server != null) {
      server.close();
    }
  }

  private static void writeConfig(
      DemoFolder folder,
      String host,
      int port,
      Map<String, URI> urls,
      Map<String, Object> witnessing,
      int cohortConcurrency)
      throws Exception {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("host", host);
    config.put("port", port);
    config.put("publicUrl", "http://" + host + ":" + port);
    // Metrics and health details on their own loopback listener, next to the demo's port.
    config.put("management", Map.of("host", "127.0.0.1", "port", managementPort(port)));
    config.put("dataDir", "data");
    // The council's caseload is every synthetic person, up to the largest population the demo
    // makes.
    config.put("cohorts", Map.of("maxMembers", MAX_PEOPLE, "concurrency", cohortConcurrency));
    config.put("signingKey", folder.root.relativize(folder.gatewayKey()).toString());
    config.put("agreements", "agreements");
    config.put("consentKey", folder.root.relativize(folder.consentKey()).toString());
    config.put("auditKey", folder.root.relativize(folder.auditKey()).toString());
    if (!Files.exists(folder.auditNoteKey())) {
      KeygenCommand.writeNoteKey(
          GatewayConfig.auditNoteOrigin("http://" + host + ":" + port),
          folder.auditNoteKey(),
          folder.auditNoteVerifierKey());
    }
    config.put("auditNoteKey", folder.root.relativize(folder.auditNoteKey()).toString());
    config.put("witnessing", witnessing);
    config.put("pseudonymKey", folder.root.relativize(folder.pseudonymKey()).toString());
    config.put(
        "consentIssuers",
        List.of(
            Map.of(
                "organisation", GP,
                "jwks", folder.root.relativize(folder.issuerJwks(GP)).toString(),
                "algorithms", List.of("ES256")),
            Map.of("organisation", ACUTE, "viaGateway", true)));
    config.put(
        "organisations",
        List.of(
            organisation("Y90001", "Earlsdon Medical Practice (synthetic)"),
            organisation("Y90002", "Coventry out-of-hours GP service (synthetic)"),
            organisation("R9A", "Coventry Acute Trust (synthetic)"),
            organisation("E08000026", "Coventry City Council"),
            organisation("QWU", "Integrated care board IG team"),
            // The agencies that hold no NHS number (their records are traced to one).
            organisation(Agency.POLICE.organisation, Agency.POLICE.displayName),
            organisation(Agency.HOUSING.organisation, Agency.HOUSING.displayName),
            organisation(Agency.SCHOOLS.organisation, Agency.SCHOOLS.displayName),
            organisation(Agency.YOUTH_JUSTICE.organisation, Agency.YOUTH_JUSTICE.displayName)));
    List<Map<String, Object>> clients = new ArrayList<>();
    for (DemoClient c : DemoClient.values()) {
      Map<String, Object> client = new LinkedHashMap<>();
      client.put("id", c.id);
      client.put("organisation", c.organisation);
      client.put("publicKey", folder.root.relativize(folder.clientPublicKey(c.id)).toString());
      client.put("purposes", c.purposes);
      client.put("roles", c.roles);
      if (c.roles.contains(DemoClient.SUBSCRIBER)) {
        // The demo's receivers listen on loopback, plain http (docs/notifications.md).
        client.put("notificationHosts", List.of(DemoReceiver.HOST));
      }
      clients.add(client);
    }
    // The council's BI tool, the SMART Backend Services way: a system client acting for no user,
    // its one role and purpose fixed here, its ES384 key registered as a JWKS.
    Map<String, Object> bi = new LinkedHashMap<>();
    bi.put("id", BI_CLIENT);
    bi.put("organisation", "E08000026");
    bi.put("kind", "system");
    bi.put("roles", List.of("analyst"));
    // Population health analytics: the purpose under which the council's agreement lets it export.
    bi.put("purposes", List.of("PUBHLTH"));
    bi.put("jwks", folder.root.relativize(folder.systemClientJwks(BI_CLIENT)).toString());
    clients.add(bi);
    config.put("clients", clients);
    List<Map<String, Object>> sources = new ArrayList<>();
    sources.addAll(
        List.of(
            source(
                GP_SOURCE,
                GP,
                urls.get(GP_SOURCE),
                "Patient",
                "Condition",
                "MedicationStatement",
                "AllergyIntolerance"),
            source(ACUTE_SOURCE, ACUTE, urls.get(ACUTE_SOURCE), "Patient", "Encounter"),
            mapped(
                source(
                    COUNCIL_SOURCE, COUNCIL, urls.get(COUNCIL_SOURCE), "Patient", "EpisodeOfCare"),
                folder.root.relativize(folder.councilMapping()).toString())));
    config.put(
        "referenceIndex",
        Map.of("baseUrl", urls.get(REFERENCE_INDEX).toString(), "deadlineMillis", 5000));
    // Traced sources (mappings with a roster): their records join a view through the links the
    // linkage register holds.
    for (Agency agency : Agency.values()) {
      Map<String, Object> source =
          mapped(
              source(
                  agency.sourceId,
                  agency.organisation,
                  urls.get(agency.sourceId),
                  AGENCY_TYPES.get(agency).toArray(String[]::new)),
              folder.root.relativize(folder.agencyMapping(agency)).toString());
      if (CRIMINAL_OFFENCE_DATA.contains(agency)) {
        // All of it, the Patient too: an agreement that does not name it gets nothing of it.
        source.put("holds", List.of("criminal-offence"));
      }
      sources.add(source);
    }
    config.put("sources", sources);
    new ObjectMapper(new YAMLFactory()).writeValue(folder.config().toFile(), config);
  }

  private static Map<String, Object> organisation(String code, String name) {
    return Map.of("code", code, "name", name);
  }

  /** Seeds the gateway's patient and relationship registers with the synthetic people. */
  private static void seedRegister(Gateway gateway, List<SyntheticPerson> people, Clock clock) {
    PatientRegister register = gateway.patientRegister();
    List<PatientRegister.Entry> entries = new ArrayList<>();
    for (SyntheticPerson p : people) {
      entries.add(
          new PatientRegister.Entry(
              p.nhsNumber(),
              DemoRegister.optedOut(p),
              DemoRegister.restricted(p),
              DemoRegister.district(p)));
    }
    register.upsert(entries, clock.instant()).await();
    Map<NhsNumber, Set<CareRelationship>> cares = new LinkedHashMap<>();
    people.forEach(p -> cares.put(p.nhsNumber(), DemoRegister.relationships(p)));
    register.relateAll(cares, clock.instant()).await();
  }

  private static Map<String, Object> mapped(Map<String, Object> source, String mapping) {
    source.put("kind", "mapped");
    source.put("mapping", mapping);
    return source;
  }

  private static Map<String, Object> source(String id, String ods, URI url, String... types) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("id", id);
    source.put("organisation", ods);
    source.put("baseUrl", url.toString());
    source.put("deadlineMillis", 5000);
    source.put("resourceTypes", List.of(types));
    return source;
  }

  /** The demo's management listener: the port after the gateway's, or any free one for port 0. */
  static int managementPort(int port) {
    return port == 0 ? 0 : port + 1;
  }

  /** The gateway's base URL as clients reach it. */
  String baseUrl() {
    return "http://127.0.0.1:" + gateway.port();
  }

  /** Prints what a newcomer needs: who is who, and curl lines with fresh tokens. */
  void printWelcome(PrintStream out, Clock clock) throws Exception {
    String person = people.get(0).nhsNumber().toString();
    String url = baseUrl() + "/fhir/Patient/" + person + "/\\$everything";
    String council =
        TokenCommand.fetch(folder, baseUrl(), DemoClient.COUNCIL_INTEL, "HOPERAT", clock);
    String ae = TokenCommand.fetch(folder, baseUrl(), DemoClient.COVENTRY_AE, "TREAT", clock);
    String frailty = TokenCommand.fetch(folder, baseUrl(), DemoClient.FRAILTY_TEAM, "TREAT", clock);
    String aeEmergency =
        TokenCommand.fetch(folder, baseUrl(), DemoClient.COVENTRY_AE, "ETREAT", clock);
    out.println();
    out.println("Placeshare demo gateway on " + baseUrl() + " (folder " + folder.root + ")");
    out.println(
        people.size()
            + " synthetic people, NHS numbers "
            + people.get(0).nhsNumber().formatted()
            + " to "
            + people.get(people.size() - 1).nhsNumber().formatted()
            + "; sources: GP Y90001 and acute trust R9A (FHIR R4), council adult social care"
            + " E08000026 (a JSON case system, mapped), and police NPF01, housing GHA01, schools"
            + " SCH01 and youth justice YJS01 (JSON, no NHS number: traced). "
            + downNote());
    out.println();
    out.println(
        "# 200: council intelligence (E08000026, analyst) for case coordination (HOPERAT),");
    out.println(
        "# permitted by gm-connect-council-intelligence: conditions and A&E visits, no medication");
    out.println(CURL + "-H 'Authorization: Bearer " + council + "' " + url);
    out.println();
    SyntheticPerson known = AgencyPopulation.demoPerson(people);
    out.println(
        "# 200: the same analyst's view of "
            + known.nhsNumber().formatted()
            + ", whom the police, the housing association, schools and youth justice");
    out.println(
        "# hold under their own ids, none by NHS number: each agency's records joined through the"
            + " link its record was traced to,");
    out.println(
        "# one Provenance per source naming the link (sunderland-intelligence; police and youth"
            + " justice records are criminal-offence data it names)");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + council
            + "' "
            + baseUrl()
            + "/fhir/Patient/"
            + known.nhsNumber()
            + "/\\$everything");
    out.println();
    out.println();
    String ig = TokenCommand.fetch(folder, baseUrl(), DemoClient.IG_CONSOLE, "HOPERAT", clock);
    Consent consent =
        new Consent(
            "demo-consent-" + UUID.randomUUID(),
            OdsCode.of(GP),
            people.get(0).nhsNumber(),
            Set.of(OdsCode.of(ACUTE)),
            Set.of(PurposeOfUse.TREAT),
            Set.of(Consent.ALL_DATA),
            ConsentMethod.VERBAL,
            "gp.reception",
            clock.instant(),
            clock.instant().plus(Duration.ofDays(30)));
    String withConsent =
        CURL
            + "-H 'Authorization: Bearer "
            + ae
            + "' -H 'X-Consent-Token: "
            + ConsentTokens.sign(
                SigningKey.readPrivatePem(folder.issuerKey(GP)), consent, clock.instant())
            + "' "
            + url;
    out.println(
        "# 403: A&E clinician (R9A) for treatment (TREAT) with no consent and no emergency:");
    out.println("# coventry-direct-care needs one or the other");
    out.println(CURL + "-H 'Authorization: Bearer " + ae + "' " + url);
    out.println();
    out.println(
        "# 200: the same request with the patient's consent, recorded and signed by their GP (Y90001):");
    out.println(
        "# GP and hospital records; no social care, whose agreement names the frailty team");
    out.println(
        "# (mint your own: java -jar ops/target/placeshare.jar consent issue --key "
            + folder.issuerKey(GP)
            + " --issuer Y90001 --patient "
            + person
            + " --recipient R9A --purpose TREAT)");
    out.println(withConsent);
    out.println();
    out.println(
        "# 200: the hospital frailty team (R9A) with the same consent sees GP, hospital and social"
            + " care");
    out.println(
        "# records in one Bundle (coventry-direct-care and coventry-frailty-social-care), one"
            + " Provenance per source; the council's case system is mapped to FHIR R4 on the way");
    out.println(withConsent.replace(ae, frailty));
    out.println();
    out.println("# 200: the patient withdraws consent; IG (or their GP) records it, at once");
    out.println(
        CURL
            + "-X DELETE -H 'Authorization: Bearer "
            + ig
            + "' '"
            + baseUrl()
            + "/consents/"
            + consent.id()
            + "?reason=patient%20withdrew%20consent'");
    out.println();
    out.println("# 403: the same consent token again, now withdrawn");
    out.println(withConsent);
    out.println();
    out.println(
        "# 200: the same clinician in an emergency (ETREAT) with a stated reason, flagged for IG review");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + aeEmergency
            + "' -H 'X-Emergency-Reason: unconscious on arrival' "
            + url);
    out.println();
    out.println(
        "# 200: data quality across the sources for "
            + people.get(SyntheticRecords.PLANTED_DISAGREEMENT).nhsNumber().formatted()
            + ": the hospital holds a birth date one day out");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + council
            + "' "
            + baseUrl()
            + "/fhir/Patient/"
            + people.get(SyntheticRecords.PLANTED_DISAGREEMENT).nhsNumber()
            + "/\\$data-quality");
    out.println();
    out.println(
        "# IG lead: the person's consents, and what would be decided for this person, without fetching anything");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + ig
            + "' "
            + baseUrl()
            + "/consents?patient="
            + person);
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + ig
            + "' -H 'Content-Type: application/json' "
            + baseUrl()
            + "/policy/evaluate -d '{\"patient\":\""
            + person
            + "\",\"recipient\":\"R9A\",\"role\":\"clinician\",\"purpose\":\"TREAT\"}'");
    out.println(
        "# IG lead: the person's audit trail (JSON, CSV, FHIR AuditEvents), and the whole log"
            + " exported and checked offline with only the audit public key");
    String trail = baseUrl() + "/audit/events?patient=" + person;
    out.println(CURL + "-H 'Authorization: Bearer " + ig + "' '" + trail + "'");
    out.println(CURL + "-H 'Authorization: Bearer " + ig + "' '" + trail + "&format=csv'");
    out.println(CURL + "-H 'Authorization: Bearer " + ig + "' '" + trail + "&format=fhir'");
    out.println(
        "curl -s -H 'Authorization: Bearer "
            + ig
            + "' "
            + baseUrl()
            + "/audit/export > "
            + folder.auditExport());
    out.println(
        "java -jar ops/target/placeshare.jar audit verify --key "
            + folder.auditPublicKey()
            + " --note-key "
            + folder.auditNoteVerifierKey()
            + " --witness-key "
            + DemoWitnesses.verifierKey(folder, DemoWitnesses.Partner.GP_FEDERATION)
            + " --witness-key "
            + DemoWitnesses.verifierKey(folder, DemoWitnesses.Partner.COUNCIL)
            + " --export "
            + folder.auditExport());
    out.println(
        "# The log's checkpoint (public, no token), cosigned by the partners' witnesses (the GP"
            + " federation's and the council's); their keys are in "
            + folder.root.resolve("keys"));
    out.println("curl -s " + baseUrl() + "/audit/checkpoint");
    out.println(
        "# The IG console: open "
            + baseUrl()
            + "/console/ in a browser and paste an IG token to sign in (this one lasts five"
            + " minutes; the session lasts longer):");
    out.println("#   " + ig);
    out.println(
        "# the agreements in force, and the reload status (edit files in "
            + folder.agreements()
            + " and they reload)");
    out.println(CURL + "-H 'Authorization: Bearer " + ig + "' " + baseUrl() + "/agreements");
    out.println(CURL + "-H 'Authorization: Bearer " + ig + "' " + baseUrl() + "/policy/status");
    printCohorts(out, clock);
    out.println();
    out.println(
        "# Metrics (Prometheus) and health details: the management listener, loopback only, no"
            + " token; the public port serves neither");
    String management = "http://127.0.0.1:" + gateway.managementPort();
    out.println("curl -s " + management + "/metrics");
    out.println("curl -s " + management + "/health/ready");
    out.println();
    // The demo person as the school knows them (under a nickname), traced back to one NHS number.
    AgencyPerson pupil = AgencyPopulation.demo(people).people(Agency.SCHOOLS).get(0);
    out.println(
        "# 200: the council traces a person to an NHS number from demographics (Patient/$match):"
            + " the school's record of "
            + known.nhsNumber().formatted()
            + " ("
            + pupil.given()
            + "),");
    out.println("# permitted by sunderland-intelligence (tracing: permitted): one certain match");
    out.println(
        CURL
            + "-X POST -H 'Authorization: Bearer "
            + council
            + "' -H 'Content-Type: application/fhir+json' "
            + baseUrl()
            + "/fhir/Patient/\\$match -d '{\"resourceType\":\"Patient\",\"name\":[{\"family\":\""
            + pupil.family()
            + "\",\"given\":[\""
            + pupil.given()
            + "\"]}],\"gender\":\""
            + pupil.gender()
            + "\",\"birthDate\":\""
            + pupil.birthDate()
            + "\",\"address\":[{\"postalCode\":\""
            + pupil.postcode()
            + "\"}]}'");
    out.println();
    String steward =
        TokenCommand.fetch(folder, baseUrl(), DemoClient.POLICE_STEWARD, "HOPERAT", clock);
    out.println(
        "# 200: the police's data steward (NPF01): the police's review queue (records traced"
            + " probable or possible, or ambiguous, awaiting a person's decision;");
    out.println(
        "# decide one with POST /linkage/reviews/{id}), and where the police's traced source"
            + " stands (links, reviews, unusable records, the last sync)");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + steward
            + "' '"
            + baseUrl()
            + "/linkage/reviews?source="
            + Agency.POLICE.sourceId
            + "'");
    out.println(
        CURL + "-H 'Authorization: Bearer " + steward + "' " + baseUrl() + "/linkage/sources");
    out.println();
    printHouseholds(
        out,
        TokenCommand.fetch(folder, baseUrl(), DemoClient.COUNCIL_SAFEGUARDING, "HOPERAT", clock));
    out.println(
        "Check a changed set before it goes live: java -jar ops/target/placeshare.jar policy lint "
            + folder.agreements()
            + " --config "
            + folder.config()
            + "; policy dry-run NEW_FOLDER");
    out.println();
    out.println(
        "Tokens last "
            + AccessTokens.LIFETIME.toMinutes()
            + " minutes. A fresh one: java -jar ops/target/placeshare.jar token --client council-intel --purpose HOPERAT");
    out.println("Stop with Ctrl-C; audit events and keys are kept in " + folder.root + ".");
  }

  /**
   * The tell-us-once lines: subscribe, report a change of address at the council, see who is told;
   * printed after the welcome, just above the receivers' lines as notifications arrive.
   */
  void printTellUsOnce(PrintStream out, Clock clock) throws Exception {
    tellUsOnce.print(out, clock);
  }

  /** The household lines: a family's view, and a care home over the cap. */
  private void printHouseholds(PrintStream out, String safeguarding) {
    SyntheticPerson parent = people.get(DemoHouseholds.FAMILY.get(0));
    out.println(
        "# 200: the household of "
            + parent.nhsNumber().formatted()
            + " today (Patient/$household, ?date=YYYY-MM-DD for another day): a Group of the people"
            + " shown, then each one's view;");
    out.println(
        "# children's social care (council-safeguarding) under safeguarding-partnership's family"
            + " clause, each member decided on their own: the partner and one child shown (who"
            + " they are, concerns and flags), the child with a national data opt-out left out"
            + " without a trace");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + safeguarding
            + "' "
            + baseUrl()
            + "/fhir/Patient/"
            + parent.nhsNumber()
            + "/\\$household");
    SyntheticPerson resident = people.get(DemoHouseholds.CARE_HOME.get(0));
    out.println(
        "# 422: a care home's resident: more than "
            + HouseholdView.MAX_HOUSEHOLD
            + " people live there, so the household view is refused (ask for each person's own"
            + " view)");
    out.println(
        CURL
            + "-H 'Authorization: Bearer "
            + safeguarding
            + "' "
            + baseUrl()
            + "/fhir/Patient/"
            + resident.nhsNumber()
            + "/\\$household");
    out.println();
  }

  /** The sources left stopped (--down), or how to see a view with one missing. */
  private String downNote() {
    List<String> down =
        List.of(GP_SOURCE, ACUTE_SOURCE, COUNCIL_SOURCE).stream()
            .filter(id -> !sources.containsKey(id))
            .toList();
    return down.isEmpty()
        ? "Start with --down acute-r9a to see a view with a source missing."
        : String.join(", ", down)
            + (down.size() == 1 ? " is down (--down): views go on without it" : " are down")
            + " and say what is missing.";
  }

  /** The population-health lines: a cohort registered, exported, summarised, resumed. */
  private void printCohorts(PrintStream out, Clock clock) throws Exception {
    String token =
        TokenCommand.fetch(folder, baseUrl(), DemoClient.COUNCIL_INTEL, "PUBHLTH", clock);
    String where = " --gateway " + baseUrl() + " --folder " + folder.root;
    String cohort = "java -jar ops/target/placeshare.jar cohort ";
    String auth = CURL + "-H 'Authorization: Bearer " + token + "' ";
    out.println();
    out.println(
        "# Population health (PUBHLTH) under gm-connect-population-health: the council's caseload"
            + " of "
            + people.size()
            + " people ("
            + folder.caseload()
            + ") is registered as Group "
            + caseload);
    out.println(
        "# 201: register a cohort yourself (every invalid or repeated NHS number is reported back)");
    out.println(
        auth
            + "-H 'Content-Type: application/fhir+json' "
            + baseUrl()
            + "/fhir/Group -d '"
            + CohortCommand.group(
                people.subList(0, 3).stream().map(p -> p.nhsNumber().toString()).toList(),
                "three people")
            + "'");
    out.println(
        "# 202: start an export of the caseload; the job's status URL comes back in"
            + " Content-Location (poll it: 202 with X-Progress, then 200 and the manifest)");
    out.println(
        "curl -s -i -H 'Authorization: Bearer "
            + token
            + "' -H 'Prefer: respond-async' "
            + baseUrl()
            + "/fhir/Group/"
            + caseload
            + "/\\$export");
    out.println(
        "# or let the cohort command follow the job and download the NDJSON files: people with a"
            + " national data opt-out or a restricted record are left out (counted, never named),"
            + " NHS numbers become pseudonyms, names go");
    out.println(
        cohort
            + "export"
            + where
            + " --group "
            + caseload
            + " --out "
            + folder.root.resolve("export"));
    out.println(
        "# the caseload's figures by sex, age band and condition, small numbers suppressed");
    out.println(cohort + "summary" + where + " --group " + caseload);
    out.println(
        "# a restart in the middle of a job resumes it: start the demo with --people 10000, run the"
            + " export, press Ctrl-C, start the demo again and follow the job it printed:");
    out.println(
        cohort + "follow" + where + " --job STATUS_URL --out " + folder.root.resolve("export"));
  }

  @Override
  public void close() throws Exception {
    gateway.stop().await();
    for (AutoCloseable s : sources.values()) {
      s.close();
    }
    vertx.close().await();
  }
}
