package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The demo's promise for bulk export: stop the demo in the middle of a job, start it again on the
 * same folder, and the job resumes and finishes, each member written once.
 */
class DemoResumeTest {

  static final int PEOPLE = 500;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void anExportInterruptedByARestart_resumesWhereItStopped() throws Exception {
    // Under target/ (not @TempDir): its folders must be enterable by the server user under root.
    Path folder = Files.createDirectories(Path.of("target", "demo-resume-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String status;
    String progress;
    try (Demo demo =
        Demo.start(new DemoFolder(folder), "127.0.0.1", port, clock, Set.of(), PEOPLE)) {
      String token =
          TokenCommand.fetch(
              demo.folder, demo.baseUrl(), DemoClient.COUNCIL_INTEL, "PUBHLTH", clock);
      HttpResponse<String> started =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(demo.baseUrl() + "/fhir/Group/" + demo.caseload + "/$export"))
                  .header("Authorization", "Bearer " + token)
                  .header("Prefer", "respond-async")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      status = started.headers().firstValue("Content-Location").orElseThrow();
      progress = awaitProgress(status, token);
    }
    int done = Integer.parseInt(progress.split(" ")[0]);
    assertThat(done).as(progress).isBetween(1, PEOPLE - 1);

    try (Demo demo =
        Demo.start(new DemoFolder(folder), "127.0.0.1", port, clock, Set.of(), PEOPLE)) {
      java.io.StringWriter out = new java.io.StringWriter();
      picocli.CommandLine cli = new picocli.CommandLine(new Ops());
      cli.setOut(new java.io.PrintWriter(out));
      int code =
          cli.execute(
              "cohort",
              "follow",
              "--gateway",
              demo.baseUrl(),
              "--folder",
              folder.toString(),
              "--job",
              status,
              "--out",
              folder.resolve("export").toString());

      assertThat(code).as(out.toString()).isZero();
      String included = out.toString().replaceAll("(?s)^members 500: included (\\d+),.*$", "$1");
      List<String> patients = Files.readAllLines(folder.resolve("export/Patient.ndjson"));
      assertThat(patients).hasSize(Integer.parseInt(included)).doesNotHaveDuplicates();
      assertThat(Integer.parseInt(included)).isGreaterThan(PEOPLE / 2);
    }
  }

  @Test
  void cohortExport_gatewayStoppedMidExport_saysItCannotBeReachedAndHowToFollowTheJob()
      throws Exception {
    Path folder = Files.createDirectories(Path.of("target", "demo-stopped-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    java.io.StringWriter err = new java.io.StringWriter();
    java.util.concurrent.CompletableFuture<Integer> exported;
    String status;
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (Demo demo =
        Demo.start(new DemoFolder(folder), "127.0.0.1", port, clock, Set.of(), PEOPLE)) {
      picocli.CommandLine cli = new picocli.CommandLine(new Ops());
      cli.setOut(new java.io.PrintWriter(new java.io.StringWriter()));
      cli.setErr(new java.io.PrintWriter(err, true));
      String[] args = {
        "cohort",
        "export",
        "--gateway",
        demo.baseUrl(),
        "--folder",
        folder.toString(),
        "--group",
        demo.caseload,
        "--out",
        folder.resolve("export").toString()
      };
      exported = java.util.concurrent.CompletableFuture.supplyAsync(() -> cli.execute(args));
      status = startedJob(err);
      String token =
          TokenCommand.fetch(
              demo.folder, demo.baseUrl(), DemoClient.COUNCIL_INTEL, "PUBHLTH", clock);
      String progress = awaitProgress(status, token);
      assertThat(Integer.parseInt(progress.split(" ")[0])).as(progress).isLessThan(PEOPLE);
    }

    int code = exported.get(60, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(code).as(err.toString()).isEqualTo(1);
    assertThat(err.toString())
        .contains("the gateway cannot be reached (")
        .contains("follow it with: cohort follow --job " + status)
        .doesNotContain("null");
  }

  /** Waits for the export command to print its job's status URL; answers it. */
  private static String startedJob(java.io.StringWriter err) throws Exception {
    java.util.regex.Pattern started = java.util.regex.Pattern.compile("started: (\\S+)");
    for (int i = 0; i < 600; i++) {
      java.util.regex.Matcher m = started.matcher(err.toString());
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the export did not start: " + err);
  }

  /** Polls until the job has made some progress; answers the X-Progress it showed. */
  private String awaitProgress(String status, String token) throws Exception {
    for (int i = 0; i < 600; i++) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(status))
                  .header("Authorization", "Bearer " + token)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      String progress = r.headers().firstValue("X-Progress").orElse("");
      if (!progress.startsWith("0 ")) {
        return progress;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the export made no progress");
  }
}
