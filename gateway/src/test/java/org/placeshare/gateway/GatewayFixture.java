package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.SigningKey;

/**
 * A real gateway on port 0 in front of real FHIR servers (a GP practice and an acute trust holding
 * synthetic people, and one source that is down), with the model agreements and two registered
 * clients: an A&E system ({@code R9A}) and a council intelligence service ({@code E08000026}).
 */
final class GatewayFixture implements AutoCloseable {

  static final String PUBLIC_URL = "https://gateway.placeshare.test";
  static final String AE_CLIENT = "coventry-ae";
  static final String COUNCIL_CLIENT = "council-intel";
  static final String IG_CLIENT = "ig-console";
  static final String GP_CLIENT = "earlsdon-gp";

  /**
   * The acute trust's own IG lead's client: an IG lead, but of the trust whose access is reviewed.
   */
  static final String TRUST_IG_CLIENT = "coventry-ig";

  /** Short, so reload tests need not wait long. */
  static final Duration POLICY_POLL = Duration.ofMillis(200);

  /** Agreements are dated; the tests run on a day inside them, whatever the machine's date. */
  static final Clock CLOCK =
      Clock.offset(
          Clock.systemUTC(),
          Duration.between(Instant.now(), Instant.parse("2026-11-22T10:00:00Z")));

  final Vertx vertx;
  final Gateway gateway;
  final List<SyntheticPerson> people = SyntheticPopulation.generate(20, 42);
  final Map<String, SigningKey> clientKeys;
  final Path agreements;

  /** The GP practice's consent key, whose public half the gateway trusts from a JWKS file. */
  final SigningKey gpConsentKey;

  /** The gateway's own access-token key, for forging tokens the attack suite sends. */
  final SigningKey gatewayKey;

  private final List<FhirSourceServer> upstreams;
  private final HttpClient http = HttpClient.newHttpClient();

  private GatewayFixture(
      Vertx vertx,
      Gateway gateway,
      Map<String, SigningKey> keys,
      Path agreements,
      SigningKey gpConsentKey,
      SigningKey gatewayKey,
      List<FhirSourceServer> upstreams) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.clientKeys = keys;
    this.agreements = agreements;
    this.gpConsentKey = gpConsentKey;
    this.gatewayKey = gatewayKey;
    this.upstreams = upstreams;
  }

  static GatewayFixture start(Path dir, String databaseUrl) throws Exception {
    return start(dir, databaseUrl, SigningKey.generate(), config -> config);
  }

  /**
   * A gateway trusting this GP consent key (another instance's, to share consents), whose
   * configuration a test may change before it starts.
   */
  static GatewayFixture start(
      Path dir,
      String databaseUrl,
      SigningKey gpConsent,
      java.util.function.UnaryOperator<GatewayConfig> change)
      throws Exception {
    return start(
        dir,
        databaseUrl,
        gpConsent,
        change,
        org.placeshare.gateway.notify.DeliveryWorker.Settings.DEFAULTS);
  }

  /** As above, with the notification delivery worker's timings (short retries in tests). */
  static GatewayFixture start(
      Path dir,
      String databaseUrl,
      SigningKey gpConsent,
      java.util.function.UnaryOperator<GatewayConfig> change,
      org.placeshare.gateway.notify.DeliveryWorker.Settings delivery)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    List<SyntheticPerson> people = SyntheticPopulation.generate(20, 42);
    FhirSourceServer gp =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.GP, "gp", people));
    FhirSourceServer acute =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.ACUTE, "acute", people));

    Path agreements = copyAgreements(dir.resolve("agreements"));
    SigningKey gatewayKey = SigningKey.generate();
    gatewayKey.writePem(dir.resolve("gateway.key.pem"), dir.resolve("gateway.pub.pem"));
    SigningKey ae = SigningKey.generate();
    ae.writePem(dir.resolve("ae.key.pem"), dir.resolve("ae.pub.pem"));
    SigningKey council = SigningKey.generate();
    council.writePem(dir.resolve("council.key.pem"), dir.resolve("council.pub.pem"));
    SigningKey ig = SigningKey.generate();
    ig.writePem(dir.resolve("ig.key.pem"), dir.resolve("ig.pub.pem"));
    SigningKey gpClient = SigningKey.generate();
    gpClient.writePem(dir.resolve("gp.key.pem"), dir.resolve("gp.pub.pem"));
    SigningKey trustIg = SigningKey.generate();
    trustIg.writePem(dir.resolve("trust-ig.key.pem"), dir.resolve("trust-ig.pub.pem"));
    Files.writeString(
        dir.resolve("gp-consent.jwks.json"),
        new com.nimbusds.jose.jwk.JWKSet(gpConsent.publicJwk()).toString());
    SigningKey auditKey = SigningKey.generate();
    auditKey.writePem(dir.resolve("audit.key.pem"), dir.resolve("audit.pub.pem"));
    SigningKey consentKey = SigningKey.generate();
    consentKey.writePem(dir.resolve("consent.key.pem"), dir.resolve("consent.pub.pem"));

    GatewayConfig config =
        new GatewayConfig(
            "127.0.0.1",
            0,
            PUBLIC_URL,
            dir.resolve("data"),
            Optional.ofNullable(databaseUrl),
            dir.resolve("gateway.key.pem"),
            agreements,
            List.of(),
            false,
            POLICY_POLL,
            List.of(
                new GatewayConfig.Organisation("Y90001", "Earlsdon Medical Practice"),
                new GatewayConfig.Organisation("Y90002", "Coventry out-of-hours GP service"),
                new GatewayConfig.Organisation("R9A", "Coventry Acute Trust"),
                new GatewayConfig.Organisation("E08000026", "Coventry City Council"),
                new GatewayConfig.Organisation("QWU", "Integrated care board IG team")),
            List.of(
                new GatewayConfig.Client(
                    IG_CLIENT,
                    "QWU",
                    dir.resolve("ig.pub.pem"),
                    Set.of("HOPERAT"),
                    Set.of("ig-lead")),
                new GatewayConfig.Client(
                    GP_CLIENT, "Y90001", dir.resolve("gp.pub.pem"), Set.of("TREAT"), Set.of("gp")),
                new GatewayConfig.Client(
                    AE_CLIENT,
                    "R9A",
                    dir.resolve("ae.pub.pem"),
                    Set.of("TREAT", "ETREAT"),
                    Set.of("clinician", "consent-recorder")),
                new GatewayConfig.Client(
                    TRUST_IG_CLIENT,
                    "R9A",
                    dir.resolve("trust-ig.pub.pem"),
                    Set.of("HOPERAT"),
                    Set.of("ig-lead")),
                new GatewayConfig.Client(
                    COUNCIL_CLIENT,
                    "E08000026",
                    dir.resolve("council.pub.pem"),
                    Set.of("HOPERAT", "PUBHLTH"),
                    Set.of("analyst"))),
            List.of(
                source(
                    "gp-y90001",
                    "Y90001",
                    gp,
                    List.of("Patient", "Condition", "MedicationStatement", "AllergyIntolerance")),
                source("acute-r9a", "R9A", acute, List.of("Patient", "Encounter")),
                new GatewayConfig.Source(
                    "council-asc",
                    "E08000026",
                    "http://127.0.0.1:" + closedPort() + "/fhir",
                    Duration.ofSeconds(2),
                    List.of("Patient", "EpisodeOfCare"))),
            Optional.of(dir.resolve("consent.key.pem")),
            List.of(
                new GatewayConfig.ConsentIssuer(
                    "Y90001",
                    Optional.of(dir.resolve("gp-consent.jwks.json")),
                    Optional.empty(),
                    Set.of("ES256"),
                    false),
                new GatewayConfig.ConsentIssuer(
                    "R9A", Optional.empty(), Optional.empty(), Set.of("ES256"), true)),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.of(dir.resolve("audit.key.pem")),
            GatewayConfig.DEFAULT_MAX_CONCURRENT,
            GatewayConfig.DEFAULT_CLIENT_REQUESTS_PER_MINUTE,
            GatewayConfig.Cohorts.defaults(dir.resolve("data")));
    Gateway gateway =
        Gateway.start(
                vertx,
                change.apply(
                    config.withNotifications(delivery).withAuditNoteKey(auditNoteKey(dir, config))),
                CLOCK)
            .await();
    return new GatewayFixture(
        vertx,
        gateway,
        Map.of(
            AE_CLIENT,
            ae,
            COUNCIL_CLIENT,
            council,
            IG_CLIENT,
            ig,
            GP_CLIENT,
            gpClient,
            TRUST_IG_CLIENT,
            trustIg),
        agreements,
        gpConsent,
        gatewayKey,
        List.of(gp, acute));
  }

  private static GatewayConfig.Source source(
      String id, String ods, FhirSourceServer server, List<String> types) {
    return new GatewayConfig.Source(
        id, ods, server.baseUrl().toString(), Duration.ofSeconds(5), types);
  }

  /**
   * A port where nothing listens, for a source that is down. A privileged one: a free ephemeral
   * port, closed again, was later taken by another test's server in the same JVM (a witness, a
   * receiver), and the "down" source answered 404. No test binds below 1024.
   */
  private static int closedPort() throws IOException {
    for (int port : new int[] {1, 9, 19, 47}) {
      try (var socket = new java.net.Socket()) {
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      } catch (java.net.ConnectException refused) {
        return port;
      }
    }
    throw new IOException("no closed privileged port on this machine");
  }

  private static Path copyAgreements(Path folder) throws IOException {
    Files.createDirectories(folder);
    for (String name :
        List.of("coventry-direct-care.yaml", "gm-connect-council-intelligence.yaml")) {
      try (InputStream in = GatewayFixture.class.getResourceAsStream("/agreements/" + name)) {
        Files.copy(in, folder.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return folder;
  }

  /**
   * The configuration signing audit checkpoints with another instance's keys, as a fleet does: its
   * JWS key and the note key beside it (every instance signs the one log's notes with one key).
   */
  static GatewayConfig withAuditKey(GatewayConfig c, Path auditKey) {
    return withNoteKeyBeside(
        copy(
            c,
            c.agreements(),
            c.clients(),
            c.consentIssuers(),
            c.issuerTrustCa(),
            c.nationalOptOuts(),
            c.tls(),
            Optional.of(auditKey),
            c.clientRequestsPerMinute()),
        auditKey);
  }

  /** The note key of the instance whose audit key this is, if it has one. */
  private static GatewayConfig withNoteKeyBeside(GatewayConfig c, Path auditKey) {
    Path note = auditKey.resolveSibling("audit-note.key");
    return Files.exists(note) ? c.withAuditNoteKey(note) : c;
  }

  /**
   * A fleet's configuration: another instance's folder for the audit key, the agreements and the
   * clients' public keys, as instances deployed from one configuration share them.
   */
  static GatewayConfig sharing(GatewayConfig c, Path other) {
    List<GatewayConfig.Client> clients =
        c.clients().stream()
            .map(
                cl ->
                    new GatewayConfig.Client(
                        cl.id(),
                        cl.organisation(),
                        other.resolve(cl.publicKey().getFileName()),
                        cl.purposes(),
                        cl.roles()))
            .toList();
    return withNoteKeyBeside(
        copy(
            c,
            other.resolve("agreements"),
            clients,
            c.consentIssuers(),
            c.issuerTrustCa(),
            c.nationalOptOuts(),
            c.tls(),
            Optional.of(other.resolve("audit.key.pem")),
            c.clientRequestsPerMinute()),
        other.resolve("audit.key.pem"));
  }

  /** The configuration with other consent, trust, opt-out and TLS settings. */
  static GatewayConfig with(
      GatewayConfig c,
      List<GatewayConfig.ConsentIssuer> issuers,
      Optional<Path> issuerTrustCa,
      Optional<Path> nationalOptOuts,
      Optional<GatewayConfig.Tls> tls) {
    return copy(
        c,
        c.agreements(),
        c.clients(),
        issuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        c.auditKey(),
        c.clientRequestsPerMinute());
  }

  private static GatewayConfig copy(
      GatewayConfig c,
      Path agreements,
      List<GatewayConfig.Client> clients,
      List<GatewayConfig.ConsentIssuer> issuers,
      Optional<Path> issuerTrustCa,
      Optional<Path> nationalOptOuts,
      Optional<GatewayConfig.Tls> tls,
      Optional<Path> auditKey,
      int clientRequestsPerMinute) {
    return carried(
        c,
        new GatewayConfig(
            c.host(),
            c.port(),
            c.publicUrl(),
            c.dataDir(),
            c.databaseUrl(),
            c.signingKey(),
            agreements,
            c.agreementSigners(),
            c.agreementSignaturesRequired(),
            c.policyPoll(),
            c.organisations(),
            clients,
            c.sources(),
            c.consentKey(),
            issuers,
            issuerTrustCa,
            nationalOptOuts,
            tls,
            c.pseudonymKey(),
            auditKey,
            c.maxConcurrentRequests(),
            clientRequestsPerMinute,
            c.cohorts(),
            c.clientsFile(),
            c.management(),
            c.linkage(),
            c.referenceIndex(),
            c.notifications()));
  }

  /**
   * {@code built} with the settings the older constructors it was made with leave out, as {@code c}
   * has them: the copies above change one thing, never drop another.
   */
  private static GatewayConfig carried(GatewayConfig c, GatewayConfig built) {
    GatewayConfig out = built.withNotifications(c.notifications()).withWitnessing(c.witnessing());
    out = c.referenceIndex().map(out::withReferenceIndex).orElse(out);
    return c.auditNoteKey().map(out::withAuditNoteKey).orElse(out);
  }

  /** Adds one of the test agreements to the folder and reloads: loaded when this returns. */
  void addAgreement(String name) throws IOException {
    try (InputStream in = GatewayFixture.class.getResourceAsStream("/agreements/" + name)) {
      Files.copy(in, agreements.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    gateway.policy().reload(vertx).await();
  }

  /** The configuration with these cohort settings and a pseudonym key. */
  static GatewayConfig withCohorts(
      GatewayConfig c, GatewayConfig.Cohorts cohorts, Optional<Path> pseudonymKey) {
    return carried(
        c,
        new GatewayConfig(
            c.host(),
            c.port(),
            c.publicUrl(),
            c.dataDir(),
            c.databaseUrl(),
            c.signingKey(),
            c.agreements(),
            c.agreementSigners(),
            c.agreementSignaturesRequired(),
            c.policyPoll(),
            c.organisations(),
            c.clients(),
            c.sources(),
            c.consentKey(),
            c.consentIssuers(),
            c.issuerTrustCa(),
            c.nationalOptOuts(),
            c.tls(),
            pseudonymKey,
            c.auditKey(),
            c.maxConcurrentRequests(),
            c.clientRequestsPerMinute(),
            cohorts));
  }

  /**
   * A signed-note key for the log's checkpoints, named for the fixture's origin, in {@code dir}.
   */
  static Path auditNoteKey(Path dir, GatewayConfig config) throws IOException {
    Path file = dir.resolve("audit-note.key");
    if (!Files.exists(file)) {
      Files.writeString(
          file,
          org.placeshare.gateway.audit.NoteSigner.generate(
                  config.auditNoteOrigin(), new java.security.SecureRandom())
              .encoded());
    }
    return file;
  }

  /**
   * A council source that is up and holds every synthetic person of the fixture: the fixture's own
   * {@code council-asc} is a closed port, and the gateway asks a source whether it holds the person
   * before it takes an event about them. The caller closes it.
   */
  static FhirSourceServer liveCouncilSource() throws Exception {
    return FhirSourceServer.start(
        0,
        SyntheticRecords.forSource(
            SyntheticRecords.Kind.GP, "asc", SyntheticPopulation.generate(20, 42)));
  }

  /** The fixture's GP ({@code gp-y90001}), as a test counts what it was asked. */
  FhirSourceServer gpSource() {
    return upstreams.get(0);
  }

  /** The fixture's acute trust ({@code acute-r9a}). */
  FhirSourceServer acuteSource() {
    return upstreams.get(1);
  }

  /** The configuration with the fixture's source {@code id} read from the given server. */
  static GatewayConfig withSourceAt(GatewayConfig c, String id, FhirSourceServer server) {
    List<GatewayConfig.Source> sources = new ArrayList<>();
    for (GatewayConfig.Source s : c.sources()) {
      sources.add(
          s.id().equals(id)
              ? new GatewayConfig.Source(
                  s.id(),
                  s.organisation(),
                  server.baseUrl().toString(),
                  Duration.ofSeconds(5),
                  s.resourceTypes())
              : s);
    }
    return withSources(c, sources);
  }

  static GatewayConfig withSources(GatewayConfig c, List<GatewayConfig.Source> sources) {
    return rebuilt(c, c.organisations(), sources);
  }

  /** The configuration with these organisations registered besides the fixture's. */
  static GatewayConfig withOrganisations(
      GatewayConfig c, List<GatewayConfig.Organisation> organisations) {
    List<GatewayConfig.Organisation> all = new ArrayList<>(c.organisations());
    all.addAll(organisations);
    return rebuilt(c, all, c.sources());
  }

  private static GatewayConfig rebuilt(
      GatewayConfig c,
      List<GatewayConfig.Organisation> organisations,
      List<GatewayConfig.Source> sources) {
    return carried(
        c,
        new GatewayConfig(
            c.host(),
            c.port(),
            c.publicUrl(),
            c.dataDir(),
            c.databaseUrl(),
            c.signingKey(),
            c.agreements(),
            c.agreementSigners(),
            c.agreementSignaturesRequired(),
            c.policyPoll(),
            organisations,
            c.clients(),
            sources,
            c.consentKey(),
            c.consentIssuers(),
            c.issuerTrustCa(),
            c.nationalOptOuts(),
            c.tls(),
            c.pseudonymKey(),
            c.auditKey(),
            c.maxConcurrentRequests(),
            c.clientRequestsPerMinute(),
            c.cohorts(),
            c.clientsFile(),
            c.management(),
            c.linkage(),
            c.referenceIndex(),
            c.notifications()));
  }

  /** The configuration with these clients registered. */
  static GatewayConfig withClients(GatewayConfig c, List<GatewayConfig.Client> clients) {
    return copy(
        c,
        c.agreements(),
        clients,
        c.consentIssuers(),
        c.issuerTrustCa(),
        c.nationalOptOuts(),
        c.tls(),
        c.auditKey(),
        c.clientRequestsPerMinute());
  }

  /** The configuration with a per-client limit of requests a minute. */
  static GatewayConfig withClientLimit(GatewayConfig c, int perMinute) {
    return copy(
        c,
        c.agreements(),
        c.clients(),
        c.consentIssuers(),
        c.issuerTrustCa(),
        c.nationalOptOuts(),
        c.tls(),
        c.auditKey(),
        perMinute);
  }

  /** GET on the management listener (metrics, health details), as Prometheus asks. */
  HttpResponse<String> management(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.managementPort() + path))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + gateway.port() + path);
  }

  /** The person every source holds. */
  SyntheticPerson firstPerson() {
    return people.get(0);
  }

  /** Asks the token endpoint, as the client would, with an assertion signed by its key. */
  String token(String client, String role, String purpose) throws Exception {
    return token(client, "user-1", role, purpose);
  }

  /** A token for this user of the client. */
  String token(String client, String user, String role, String purpose) throws Exception {
    HttpResponse<String> response =
        tokenRequest(assertion(client, clientKeys.get(client), user, role, purpose));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getString("access_token");
  }

  String assertion(String client, SigningKey key, String role, String purpose) {
    return assertion(client, key, "user-1", role, purpose);
  }

  String assertion(String client, SigningKey key, String user, String role, String purpose) {
    return ClientAssertions.sign(
        key, client, PUBLIC_URL + "/oauth2/token", user, role, PurposeOfUse.of(purpose), CLOCK);
  }

  HttpResponse<String> tokenRequest(String assertion) throws Exception {
    return tokenForm(
        "grant_type=client_credentials&client_assertion_type="
            + URLEncoder.encode(
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
            + "&client_assertion="
            + assertion);
  }

  HttpResponse<String> tokenForm(String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url("/oauth2/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> everything(String nhsNumber, String token, String... headers)
      throws Exception {
    // "NHS?_type=..." asks with parameters.
    int query = nhsNumber.indexOf('?');
    String path =
        query < 0
            ? "/fhir/Patient/" + nhsNumber + "/$everything"
            : "/fhir/Patient/"
                + nhsNumber.substring(0, query)
                + "/$everything"
                + nhsNumber.substring(query);
    HttpRequest.Builder request = HttpRequest.newBuilder(url(path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The patient and relationship registers, as the gateway reads them. */
  PatientRegister register() {
    return new PatientRegister(gateway.database().pool());
  }

  HttpResponse<String> get(String path, String token, String... headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url(path)).header("Authorization", "Bearer " + token).GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String token, String json) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url(path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> delete(String path, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url(path))
            .header("Authorization", "Bearer " + token)
            .DELETE()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A consent the GP practice records and signs: the A&E trust may see the person's records. */
  String gpConsent(String id, org.placeshare.policy.NhsNumber patient, String purpose) {
    Instant now = CLOCK.instant();
    return org.placeshare.policy.identity.ConsentTokens.sign(
        gpConsentKey,
        new org.placeshare.policy.Consent(
            id,
            org.placeshare.policy.OdsCode.of("Y90001"),
            patient,
            Set.of(org.placeshare.policy.OdsCode.of("R9A")),
            Set.of(PurposeOfUse.of(purpose)),
            Set.of(org.placeshare.policy.Consent.ALL_DATA),
            org.placeshare.policy.ConsentMethod.VERBAL,
            "gp-reception-1",
            now.minusSeconds(60),
            now.plus(Duration.ofDays(365))),
        now);
  }

  /** Every audit row for a person, oldest first. */
  List<io.vertx.sqlclient.Row> auditFor(org.placeshare.policy.NhsNumber patient) {
    List<io.vertx.sqlclient.Row> rows = new java.util.ArrayList<>();
    gateway
        .database()
        .pool()
        .preparedQuery(
            "SELECT action, outcome, http_status, emergency, detail FROM audit_event"
                + " WHERE nhs_number = $1 ORDER BY seq")
        .execute(io.vertx.sqlclient.Tuple.of(patient.toString()))
        .await()
        .forEach(rows::add);
    return rows;
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(url(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    gateway.stop().await();
    for (FhirSourceServer upstream : upstreams) {
      upstream.close();
    }
    vertx.close().await();
  }
}
