package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.interceptor.BearerTokenAuthInterceptor;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationDefinition;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;

/**
 * Issue 20: HAPI FHIR's generic client, as council BI tools and hospital systems use it, against
 * the real gateway with real tokens, in JSON and in XML; and the hostile requests such a client's
 * door invites. The council's own source is a real server here (not the fixture's down one), so
 * that "nobody there" is a 404 and not a 502.
 */
class HapiClientTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer council;
  static String analyst;
  static String cohorts;
  static String refused;

  /** Nobody holds this one: valid Modulus 11, in the 999 range, not in the population. */
  static final String NOBODY = unheldNumber();

  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    var people = org.placeshare.fhir.synthetic.SyntheticPopulation.generate(20, 42);
    council =
        FhirSourceServer.start(
            0, SyntheticRecords.forSource(SyntheticRecords.Kind.COUNCIL, "council", people));
    fixture =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            org.placeshare.policy.identity.SigningKey.generate(),
            c -> GatewayFixture.withSourceAt(c, "council-asc", council));
    // Cohorts and their export, for population health.
    fixture.addAgreement("gm-connect-population-health.yaml");
    // Opted out of sharing beyond direct care: hidden from the council's analysts.
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(optedOut(), true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
    analyst = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    cohorts = fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "PUBHLTH");
    // The A&E system for direct care without consent or emergency: no agreement permits it.
    refused = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "TREAT");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (council != null) {
      council.close();
    }
  }

  static String person() {
    return fixture.firstPerson().nhsNumber().toString();
  }

  static NhsNumber optedOut() {
    return fixture.people.get(4).nhsNumber();
  }

  private static String unheldNumber() {
    // 999 000 000 then a check digit: the first that is valid Modulus 11.
    for (int i = 1; ; i++) {
      String nine = "999" + String.format("%06d", 900000 + i);
      int sum = 0;
      for (int d = 0; d < 9; d++) {
        sum += (nine.charAt(d) - '0') * (10 - d);
      }
      int check = 11 - sum % 11;
      if (check == 11) {
        check = 0;
      }
      if (check != 10) {
        return nine + check;
      }
    }
  }

  private static IGenericClient client(String token, EncodingEnum encoding) {
    IGenericClient client = Fhir.context().newRestfulGenericClient(fixture.url("/fhir").toString());
    client.setEncoding(encoding);
    if (token != null) {
      client.registerInterceptor(new BearerTokenAuthInterceptor(token));
    }
    return client;
  }

  // --- the generic client, permitted ---

  @ParameterizedTest
  @EnumSource(
      value = EncodingEnum.class,
      names = {"JSON", "XML"})
  void hapiClient_permittedClient_capabilitiesEverythingReadSearchGroupAndExport(
      EncodingEnum encoding) {
    IGenericClient client = client(analyst, encoding);

    CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
    assertThat(cs.getInstantiates().get(0).getValue())
        .isEqualTo("http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data");

    // $everything the default way: POST with a Parameters body.
    Bundle everything =
        client
            .operation()
            .onInstance(new IdType("Patient", person()))
            .named("$everything")
            .withNoParameters(Parameters.class)
            .returnResourceType(Bundle.class)
            .execute();
    assertThat(everything.getEntry()).anyMatch(e -> e.getResource() instanceof Patient);
    assertThat(everything.getEntry()).anyMatch(e -> !(e.getResource() instanceof Patient));

    Patient read = client.read().resource(Patient.class).withId(person()).execute();
    assertThat(read.getBirthDateElement().getValueAsString()).isNotNull();

    Bundle found =
        client
            .search()
            .forResource(Patient.class)
            .where(
                Patient.IDENTIFIER.exactly().systemAndIdentifier(Fhir.NHS_NUMBER_SYSTEM, person()))
            .returnBundle(Bundle.class)
            .execute();
    assertThat(found.getEntry()).hasSize(1);
    assertThat(found.getEntryFirstRep().getResource()).isInstanceOf(Patient.class);
    assertThat(found.getLink("self").getUrl()).contains("identifier=");

    IGenericClient cohortClient = client(cohorts, encoding);
    Group group = new Group().setType(Group.GroupType.PERSON).setActual(true);
    for (int i = 0; i < 2; i++) {
      group
          .addMember()
          .setEntity(
              new Reference()
                  .setIdentifier(
                      new Identifier()
                          .setSystem(Fhir.NHS_NUMBER_SYSTEM)
                          .setValue(fixture.people.get(i).nhsNumber().toString())));
    }
    MethodOutcome created = cohortClient.create().resource(group).execute();
    assertThat(created.getId().getIdPart()).isNotBlank();

    // Kick-off the default (POST) way. Bulk Data answers a kick-off in FHIR JSON only, so an XML
    // client's kick-off is 406 with an OperationOutcome, and the same client asking for JSON runs.
    if (encoding == EncodingEnum.XML) {
      assertThatThrownBy(() -> kickOff(cohortClient, created))
          .isInstanceOfSatisfying(
              BaseServerResponseException.class,
              e -> {
                assertThat(e.getStatusCode()).isEqualTo(406);
                assertThat(e.getResponseBody()).contains("OperationOutcome");
              });
    }
    MethodOutcome kickOff = kickOff(client(cohorts, EncodingEnum.JSON), created);
    assertThat(kickOff.getResponseStatusCode()).isEqualTo(202);
    assertThat(kickOff.getResponseHeaders().get("content-location").get(0))
        .contains("/fhir/bulk-status/");
  }

  private static MethodOutcome kickOff(IGenericClient client, MethodOutcome group) {
    return client
        .operation()
        .onInstance(new IdType("Group", group.getId().getIdPart()))
        .named("$export")
        .withNoParameters(Parameters.class)
        .withAdditionalHeader("Prefer", "respond-async")
        .returnMethodOutcome()
        .execute();
  }

  // --- the generic client, refused ---

  @ParameterizedTest
  @EnumSource(
      value = EncodingEnum.class,
      names = {"JSON", "XML"})
  void hapiClient_refusedClient_getsOperationOutcomes(EncodingEnum encoding) {
    IGenericClient client = client(refused, encoding);

    assertRefused(
        403,
        () ->
            client
                .operation()
                .onInstance(new IdType("Patient", person()))
                .named("$everything")
                .withNoParameters(Parameters.class)
                .returnResourceType(Bundle.class)
                .execute());
    assertRefused(403, () -> client.read().resource(Patient.class).withId(person()).execute());
    assertRefused(
        403,
        () ->
            client
                .search()
                .forResource(Patient.class)
                .where(
                    Patient.IDENTIFIER
                        .exactly()
                        .systemAndIdentifier(Fhir.NHS_NUMBER_SYSTEM, person()))
                .returnBundle(Bundle.class)
                .execute());
    // A stranger's token: not a client at all.
    IGenericClient stranger = client("not-a-token", encoding);
    assertRefused(
        401,
        () ->
            stranger
                .create()
                .resource(new Group().setType(Group.GroupType.PERSON).setActual(true))
                .execute());
    assertRefused(
        401,
        () ->
            stranger
                .operation()
                .onInstance(new IdType("Group", "00000000-0000-0000-0000-000000000000"))
                .named("$export")
                .withNoParameters(Parameters.class)
                .useHttpGet()
                .withAdditionalHeader("Prefer", "respond-async")
                .returnMethodOutcome()
                .execute());
  }

  private static void assertRefused(int status, Runnable call) {
    BaseServerResponseException e =
        catchThrowableOfType(call::run, BaseServerResponseException.class);
    assertThat(e).as("expected a refusal").isNotNull();
    assertThat(e.getStatusCode()).isEqualTo(status);
    assertThat(e.getOperationOutcome()).isInstanceOf(OperationOutcome.class);
    assertThat(((OperationOutcome) e.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
        .isNotBlank();
  }

  // --- what the CapabilityStatement declares ---

  @Test
  void capabilityStatement_declaresWhatIsServed_andServesTheDefinitionsItNames() {
    IGenericClient client = client(null, EncodingEnum.JSON);
    CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
    assertThat(cs.getFormat()).extracting(f -> f.getValue()).contains("json", "xml");
    var rest = cs.getRestFirstRep();
    assertThat(
            rest.getSecurity()
                .getExtensionByUrl(
                    "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris")
                .getExtensionByUrl("token")
                .getValue()
                .primitiveValue())
        .isEqualTo(GatewayFixture.PUBLIC_URL + "/oauth2/token");
    assertThat(rest.getSecurity().getServiceFirstRep().getCodingFirstRep().getCode())
        .isEqualTo("SMART-on-FHIR");
    var patient =
        rest.getResource().stream().filter(r -> r.getType().equals("Patient")).findFirst().get();
    assertThat(patient.getInteraction())
        .extracting(i -> i.getCode().toCode())
        .contains("read", "search-type");
    assertThat(patient.getSearchParam()).extracting(p -> p.getName()).containsExactly("identifier");
    for (var resource : rest.getResource()) {
      for (var op : resource.getOperation()) {
        String url = op.getDefinition();
        if (url.startsWith(GatewayFixture.PUBLIC_URL)) {
          // Ours: served where the statement says, with that url.
          String id = url.substring(url.lastIndexOf('/') + 1);
          OperationDefinition d =
              client.read().resource(OperationDefinition.class).withId(id).execute();
          assertThat(d.getUrl()).isEqualTo(url);
          assertThat(d.getCode()).isEqualTo(op.getName());
        } else {
          assertThat(url).startsWith("http://hl7.org/fhir/");
        }
      }
    }
  }

  // --- hostile requests ---

  @Test
  void everythingByPost_xmlWithExternalEntity_isRefusedWithoutReadingIt() throws Exception {
    AtomicInteger fetched = new AtomicInteger();
    HttpServer bait = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    bait.createContext(
        "/",
        x -> {
          fetched.incrementAndGet();
          x.sendResponseHeaders(200, -1);
          x.close();
        });
    bait.start();
    try {
      String xml =
          "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"http://127.0.0.1:"
              + bait.getAddress().getPort()
              + "/x\">]><Parameters xmlns=\"http://hl7.org/fhir\"><parameter><name"
              + " value=\"_type\"/><valueCode value=\"&x;\"/></parameter></Parameters>";
      HttpResponse<String> r = post(everythingPath(), analyst, "application/fhir+xml", xml);

      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).contains("DOCTYPE");
      assertThat(fetched.get()).isZero();
    } finally {
      bait.stop(0);
    }
  }

  @Test
  void everythingByPost_hugeParameters_is413() throws Exception {
    String huge =
        "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"_type\",\"valueCode\":\""
            + "Condition,".repeat(3000)
            + "Condition\"}]}";

    HttpResponse<String> r = post(everythingPath(), analyst, "application/fhir+json", huge);

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.body()).contains("OperationOutcome");
  }

  @Test
  void everythingByPost_unknownParameter_is400_andKnownOnesNarrow() throws Exception {
    HttpResponse<String> unknown =
        post(
            everythingPath(),
            analyst,
            "application/fhir+json",
            "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"start\","
                + "\"valueDate\":\"2020-01-01\"}]}");
    HttpResponse<String> narrowed =
        post(
            everythingPath(),
            analyst,
            "application/fhir+json",
            "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"_type\","
                + "\"valueCode\":\"Patient\"}]}");

    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("unknown parameter 'start'");
    assertThat(narrowed.statusCode()).as(narrowed.body()).isEqualTo(200);
    Bundle b = Fhir.json().parseResource(Bundle.class, narrowed.body());
    assertThat(b.getEntry())
        .allMatch(
            e ->
                e.getResource() instanceof Patient
                    || e.getResource() instanceof OperationOutcome
                    || e.getResource().fhirType().equals("Provenance"));
  }

  @Test
  void format_textHtml_is406WithAnOperationOutcome() throws Exception {
    HttpResponse<String> r =
        fixture.get("/fhir/Patient/" + person() + "?_format=text/html", analyst);
    HttpResponse<String> accept =
        fixture.get("/fhir/Patient/" + person(), analyst, "Accept", "text/html");

    assertThat(r.statusCode()).isEqualTo(406);
    assertThat(Fhir.json().parseResource(OperationOutcome.class, r.body()).getIssue()).hasSize(1);
    assertThat(accept.statusCode()).isEqualTo(406);
  }

  @Test
  void format_jsonAskedAsApplicationJson_isAnsweredUnderThatName_errorsToo() throws Exception {
    HttpResponse<String> plain =
        fixture.get("/fhir/Patient/" + person(), analyst, "Accept", "application/json");
    HttpResponse<String> error =
        fixture.get("/fhir/Patient/12345", analyst, "Accept", "application/json");
    HttpResponse<String> fhir =
        fixture.get("/fhir/Patient/" + person(), analyst, "Accept", "application/fhir+json");

    assertThat(plain.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json;");
    assertThat(error.statusCode()).isEqualTo(400);
    assertThat(error.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json;");
    assertThat(fhir.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/fhir+json;");
    // The name is the one the chosen range gave, not that of a range the server cannot serve.
    HttpResponse<String> after =
        fixture.get(
            "/fhir/Patient/" + person(), analyst, "Accept", "text/html, application/json;q=0.9");
    assertThat(after.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json;");
  }

  @Test
  void format_xmlAskedByAccept_answersXml_errorsToo() throws Exception {
    HttpResponse<String> ok =
        fixture.get("/fhir/Patient/" + person(), analyst, "Accept", "application/fhir+xml");
    HttpResponse<String> error =
        fixture.get("/fhir/Patient/12345", analyst, "Accept", "application/xml");

    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/fhir+xml");
    assertThat(ok.body()).startsWith("<Patient xmlns=\"http://hl7.org/fhir\"");
    assertThat(error.statusCode()).isEqualTo(400);
    assertThat(error.body()).startsWith("<OperationOutcome xmlns=\"http://hl7.org/fhir\"");
  }

  @Test
  void search_identifierOfAnotherSystem_is400() throws Exception {
    HttpResponse<String> r =
        fixture.get(
            "/fhir/Patient?identifier=" + enc("https://example.org/mrn|" + person()), analyst);

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("expected the system " + Fhir.NHS_NUMBER_SYSTEM);
  }

  @Test
  void search_twoIdentifiers_is400() throws Exception {
    String one = enc(Fhir.NHS_NUMBER_SYSTEM + "|" + person());
    String two = enc(Fhir.NHS_NUMBER_SYSTEM + "|" + fixture.people.get(1).nhsNumber());

    HttpResponse<String> repeated =
        fixture.get("/fhir/Patient?identifier=" + one + "&identifier=" + two, analyst);
    HttpResponse<String> either =
        fixture.get("/fhir/Patient?identifier=" + one + "," + two, analyst);
    HttpResponse<String> other = fixture.get("/fhir/Patient?name=smith", analyst);

    assertThat(repeated.statusCode()).isEqualTo(400);
    assertThat(either.statusCode()).isEqualTo(400);
    assertThat(other.statusCode()).isEqualTo(400);
  }

  @Test
  void read_optedOutPerson_isIndistinguishableFromNobody() throws Exception {
    HttpResponse<String> hidden = fixture.get("/fhir/Patient/" + optedOut(), analyst);
    HttpResponse<String> nobody = fixture.get("/fhir/Patient/" + NOBODY, analyst);
    HttpResponse<String> hiddenSearch =
        fixture.get(
            "/fhir/Patient?identifier=" + enc(Fhir.NHS_NUMBER_SYSTEM + "|" + optedOut()), analyst);
    HttpResponse<String> nobodySearch =
        fixture.get(
            "/fhir/Patient?identifier=" + enc(Fhir.NHS_NUMBER_SYSTEM + "|" + NOBODY), analyst);

    assertThat(hidden.statusCode()).isEqualTo(404);
    assertThat(nobody.statusCode()).isEqualTo(404);
    assertThat(diagnostics(hidden)).isEqualTo(diagnostics(nobody));
    assertThat(hiddenSearch.statusCode()).isEqualTo(200);
    assertThat(nobodySearch.statusCode()).isEqualTo(200);
    Bundle a = Fhir.json().parseResource(Bundle.class, hiddenSearch.body());
    Bundle b = Fhir.json().parseResource(Bundle.class, nobodySearch.body());
    assertThat(a.getEntry()).isEmpty();
    assertThat(b.getEntry()).isEmpty();
    assertThat(a.getTotal()).isEqualTo(b.getTotal()).isZero();
    // Both audited: the hidden one as the refusal it was.
    assertThat(fixture.auditFor(optedOut()))
        .extracting(row -> row.getString("outcome"))
        .contains("refused");
    assertThat(fixture.auditFor(NhsNumber.parse(NOBODY))).isNotEmpty();
  }

  private static String diagnostics(HttpResponse<String> r) {
    return Fhir.json()
        .parseResource(OperationOutcome.class, r.body())
        .getIssueFirstRep()
        .getDiagnostics();
  }

  private static String everythingPath() {
    return "/fhir/Patient/" + person() + "/$everything";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private HttpResponse<String> post(String path, String token, String type, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(fixture.url(path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", type)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
