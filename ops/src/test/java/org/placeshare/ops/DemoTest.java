package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Provenance;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.SignedNote;
import org.placeshare.policy.NhsNumber;

/** The README's first command, as a newcomer would use it: the printed curl lines work. */
class DemoTest {

  private static final Pattern CURL_LINE = Pattern.compile("(?m)^curl -s (.+)$");
  private static final Pattern HEADER = Pattern.compile("-H '([^:']+): ([^']*)'");
  private static final Pattern METHOD = Pattern.compile("-X (\\w+)");
  private static final Pattern DATA = Pattern.compile("-d '([^']*)'");
  private static final Pattern URL = Pattern.compile("'?(http://\\S+?)'?(?: |$)");

  /** The person the four agencies hold (AgencyPopulation.DEMO_PERSON of the demo's people). */
  private static final String DEMO_PERSON = "9990000301";

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void demo_printedCurlLines_showConsentGivenWithdrawnAndBreakGlass() throws Exception {
    // Under target/ (not @TempDir): its folders must be enterable by the server user under root.
    Path folder = Files.createDirectories(Path.of("target", "demo-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    List<HttpResponse<String>> responses = new ArrayList<>();
    HttpResponse<String> partial;
    // Every log line of the whole run, as the JSON the jar writes.
    List<String> logs = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture =
        new java.util.logging.Handler() {
          final JsonLogFormatter json = new JsonLogFormatter();

          @Override
          public void publish(java.util.logging.LogRecord record) {
            logs.add(json.format(record));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    java.util.logging.Logger.getLogger("").addHandler(capture);
    String output;
    String exported;
    String summary;
    try (Demo demo = Demo.start(new DemoFolder(folder), "127.0.0.1", freePort(), clock)) {
      assertThat(demo.people)
          .hasSize(50)
          .allSatisfy(p -> assertThat(p.nhsNumber().isTestNumber()).isTrue());
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      demo.printWelcome(new PrintStream(buffer, true, StandardCharsets.UTF_8), clock);
      output = buffer.toString(StandardCharsets.UTF_8);

      // Every printed curl line, run in order as a newcomer pasting them would.
      Matcher line = CURL_LINE.matcher(output);
      while (line.find()) {
        HttpResponse<String> response = run(line.group(1));
        responses.add(response);
        // A view's searchset holds many resources; a trace's ($match) one person.
        if (response.statusCode() == 200
            && response.body().contains("\"searchset\"")
            && !line.group(1).contains("$match")) {
          Bundle bundle = Fhir.json().parseResource(Bundle.class, response.body());
          assertThat(bundle.getTotal()).isGreaterThan(1);
        }
      }
      // The cohort lines: the caseload exported and summed up with the cohort command.
      exported =
          cohort(
              "export",
              demo,
              "--group",
              demo.caseload,
              "--out",
              folder.resolve("export").toString());
      summary = cohort("summary", demo, "--group", demo.caseload);
      // A source stops: the council's view goes on without it, saying what is missing.
      demo.stopSource(Demo.ACUTE_SOURCE);
      partial = run(CURL_LINE.matcher(output).results().findFirst().orElseThrow().group(1));
    }

    // Council 200; A&E refused without consent, permitted with it; the frailty team sees GP,
    // hospital and social care; the consent withdrawn, refused again, permitted under break-glass;
    // data quality; then the IG lines: consents, what-if, agreements, status.
    assertThat(responses)
        .extracting(HttpResponse::statusCode)
        .containsExactly(
            200, 200, 403, 200, 200, 200, 403, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
            200, 201, 202, 200, 200, 200, 200, 200, 200, 422);
    // The management listener's lines: metrics and health details, which the public port lacks.
    assertThat(responses.get(20).body()).contains("placeshare_decisions_total");
    assertThat(responses.get(21).body()).contains("\"sources\"");
    // The council traces the demo person from the school's record of them: one certain match.
    Bundle traced = Fhir.json().parseResource(Bundle.class, responses.get(22).body());
    assertThat(traced.getEntry()).hasSize(1);
    assertThat(
            ((org.hl7.fhir.r4.model.Patient) traced.getEntryFirstRep().getResource())
                .getIdentifierFirstRep()
                .getValue())
        .isEqualTo(DEMO_PERSON);
    assertThat(
            traced
                .getEntryFirstRep()
                .getSearch()
                .getExtensionString("http://hl7.org/fhir/StructureDefinition/match-grade"))
        .isEqualTo("certain");
    // The caseload of 50: of the seven opted out and four restricted, the four the council's own
    // case system holds come with its records only (a flag does not hide from the council what it
    // holds); the other seven are left out. The rest pseudonymised.
    assertThat(exported).startsWith("members 50: included 43, left out 7");
    String patients = Files.readString(folder.resolve("export/Patient.ndjson"));
    assertThat(patients.lines()).hasSize(43);
    assertThat(patients).contains("urn:placeshare:pseudonym:gm-connect-population-health");
    for (var p : Demo.people()) {
      assertThat(patients).doesNotContain(p.nhsNumber().toString()).doesNotContain(p.family());
    }
    assertThat(summary).startsWith("people: 43").contains("=*");
    // The analyst's view of the person the four agencies hold, none by NHS number: each agency's
    // records, and its Provenance naming the link that attached them.
    Bundle agencies = Fhir.json().parseResource(Bundle.class, responses.get(1).body());
    for (String source : List.of("police-npf", "housing-gha", "schools-sch", "youth-justice-yjs")) {
      assertThat(agencies.getEntry())
          .as(source)
          .anyMatch(
              e ->
                  e.getResource().getMeta().getSource() != null
                      && e.getResource().getMeta().getSource().endsWith(":" + source)
                      && !(e.getResource() instanceof org.hl7.fhir.r4.model.Patient));
      assertThat(agencies.getEntry())
          .filteredOn(e -> e.getResource() instanceof Provenance)
          .extracting(e -> (Provenance) e.getResource())
          .anyMatch(
              p ->
                  p.getEntity().stream()
                      .anyMatch(
                          en ->
                              en.getWhat()
                                  .getDisplay()
                                  .equals(
                                      "a record of "
                                          + source
                                          + " linked to this NHS number by tracing (certain,"
                                          + " automatic)")));
    }
    // The police's steward sees the police's review queue, and only the police's source.
    io.vertx.core.json.JsonArray reviews =
        new io.vertx.core.json.JsonObject(responses.get(23).body()).getJsonArray("reviews");
    assertThat(reviews).isNotEmpty();
    assertThat(reviews.stream().map(r -> ((io.vertx.core.json.JsonObject) r).getString("source")))
        .containsOnly("police-npf");
    io.vertx.core.json.JsonArray stewarded =
        new io.vertx.core.json.JsonObject(responses.get(24).body()).getJsonArray("sources");
    assertThat(stewarded).hasSize(1);
    assertThat(stewarded.getJsonObject(0).getString("source")).isEqualTo("police-npf");
    assertThat(stewarded.getJsonObject(0).getLong("linked")).isPositive();
    assertThat(stewarded.getJsonObject(0).getLong("awaitingReview")).isEqualTo(reviews.size());
    // The family's household view: a Group of the people shown, never the opted-out child.
    Bundle household = Fhir.json().parseResource(Bundle.class, responses.get(25).body());
    org.hl7.fhir.r4.model.Group group =
        (org.hl7.fhir.r4.model.Group) household.getEntryFirstRep().getResource();
    assertThat(group.getType()).isEqualTo(org.hl7.fhir.r4.model.Group.GroupType.PERSON);
    assertThat(household.getEntry())
        .filteredOn(e -> e.getResource() instanceof org.hl7.fhir.r4.model.Patient)
        .hasSize(group.getQuantity());
    // The parent asked about, the partner and the child without an opt-out.
    assertThat(group.getQuantity()).isEqualTo(3);
    assertThat(responses.get(25).body())
        .doesNotContain(Demo.people().get(DemoHouseholds.OPTED_OUT_CHILD).nhsNumber().toString());
    // The care home is over the cap: refused whole, nobody released.
    assertThat(responses.get(26).body())
        .contains("this household has more than 12 members")
        .doesNotContain("\"Patient\"");
    Bundle council = Fhir.json().parseResource(Bundle.class, responses.get(0).body());
    assertThat(patientOf(council).getBirthDateElement().asStringValue()).hasSize(4);
    // A&E's clinicians see GP and hospital records; social care only the frailty team, whose
    // role the social care agreement names and only its system is registered for.
    Bundle ae = Fhir.json().parseResource(Bundle.class, responses.get(3).body());
    assertThat(types(ae)).contains("Condition", "Encounter").doesNotContain("EpisodeOfCare");
    Bundle frailty = Fhir.json().parseResource(Bundle.class, responses.get(4).body());
    assertThat(types(frailty)).contains("Condition", "Encounter", "EpisodeOfCare", "Provenance");
    assertThat(frailty.getEntry())
        .filteredOn(e -> e.getResource() instanceof Provenance)
        .hasSize(3);
    assertThat(responses.get(8).body())
        .contains("data quality: acute-r9a disagrees with gp-y90001 on birth date");
    assertThat(responses.get(9).body()).contains("\"status\":\"withdrawn\"");
    assertThat(responses.get(10).body()).contains("consent is required and none was presented");
    // The person's audit trail: every request above is in it, as JSON, CSV and FHIR.
    assertThat(new io.vertx.core.json.JsonObject(responses.get(11).body()).getJsonArray("events"))
        .hasSizeGreaterThanOrEqualTo(8);
    assertThat(responses.get(12).body()).startsWith("index,recordedAt,action");
    assertThat(responses.get(13).body()).contains("\"resourceType\":\"AuditEvent\"");
    // The exported log verifies offline with only the audit public key.
    Path export = folder.resolve("audit.jsonl");
    Files.writeString(export, responses.get(14).body());
    java.io.StringWriter verified = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new Ops());
    cli.setOut(new java.io.PrintWriter(verified));
    int code =
        cli.execute(
            "audit",
            "verify",
            "--key",
            folder.resolve("keys/audit.pub.pem").toString(),
            "--note-key",
            folder.resolve("keys/audit-note.vkey").toString(),
            "--witness-key",
            folder.resolve("keys/witness-gpfed.vkey").toString(),
            "--witness-key",
            folder.resolve("keys/witness-council.vkey").toString(),
            "--export",
            export.toString());
    assertThat(code).as(verified.toString()).isZero();
    assertThat(verified.toString())
        .startsWith("the audit log verifies: ")
        .contains("witnessed by 2 of 2 up to size ");
    // The public checkpoint is cosigned by both partners' witnesses, whose keys the demo wrote.
    List<NoteVerifierKey> keys = new ArrayList<>();
    for (String name : List.of("audit-note", "witness-gpfed", "witness-council")) {
      keys.add(
          NoteVerifierKey.parse(
              Files.readString(folder.resolve("keys/" + name + ".vkey")).strip()));
    }
    SignedNote.Opened checkpoint =
        SignedNote.open(responses.get(15).body().getBytes(StandardCharsets.UTF_8), keys);
    assertThat(keys).allSatisfy(k -> assertThat(checkpoint.signedBy(k)).as(k.name()).isTrue());
    assertThat(partial.statusCode()).isEqualTo(200);
    java.util.logging.Logger.getLogger("").removeHandler(capture);
    // The application logs of the whole run hold no NHS number of the demo's people and no token.
    assertThat(logs).isNotEmpty();
    for (String line : logs) {
      assertThat(new io.vertx.core.json.JsonObject(line).getString("level")).isNotNull();
      assertThat(line).doesNotContain("eyJ");
    }
    for (var p : Demo.people()) {
      assertThat(String.join("", logs))
          .doesNotContain(p.nhsNumber().toString())
          .doesNotContain(p.family());
    }
    assertThat(partial.body())
        .contains("source acute-r9a (R9A) could not be reached")
        .contains("\"resourceType\":\"Condition\"");
    assertThat(folder.resolve("keys/gateway.key.pem")).exists();
    assertThat(folder.resolve("agreements/coventry-direct-care.yaml")).exists();
    assertThat(output).contains("999 000 0018");
    // Every NHS number the demo prints is a valid test-range number.
    Matcher numbers = Pattern.compile("/fhir/Patient/(\\d{10})/").matcher(output);
    while (numbers.find()) {
      assertThat(NhsNumber.parse(numbers.group(1)).isTestNumber()).isTrue();
    }
  }

  /** Runs the cohort command as the printed lines do; answers what it printed. */
  private static String cohort(String command, Demo demo, String... arguments) {
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new Ops());
    cli.setOut(new java.io.PrintWriter(out));
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "cohort",
                command,
                "--gateway",
                demo.baseUrl(),
                "--folder",
                demo.folder.root.toString()));
    args.addAll(List.of(arguments));
    assertThat(cli.execute(args.toArray(String[]::new))).as(out.toString()).isZero();
    return out.toString();
  }

  /** Runs one printed curl command line (-X, -H, -d and a URL) with Java's HTTP client. */
  private HttpResponse<String> run(String arguments) throws Exception {
    Matcher url = URL.matcher(arguments.replaceAll("-[HXd] ('[^']*'|\\w+)", ""));
    assertThat(url.find()).as(arguments).isTrue();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url.group(1).replace("\\$", "$")));
    Matcher header = HEADER.matcher(arguments);
    while (header.find()) {
      request.header(header.group(1), header.group(2));
    }
    Matcher data = DATA.matcher(arguments);
    Matcher method = METHOD.matcher(arguments);
    if (data.find()) {
      request.POST(HttpRequest.BodyPublishers.ofString(data.group(1)));
    } else if (method.find()) {
      request.method(method.group(1), HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static org.hl7.fhir.r4.model.Patient patientOf(Bundle bundle) {
    return (org.hl7.fhir.r4.model.Patient)
        bundle.getEntry().stream()
            .map(Bundle.BundleEntryComponent::getResource)
            .filter(r -> r instanceof org.hl7.fhir.r4.model.Patient)
            .findFirst()
            .orElseThrow();
  }

  private static List<String> types(Bundle bundle) {
    return bundle.getEntry().stream().map(e -> e.getResource().fhirType()).distinct().toList();
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
