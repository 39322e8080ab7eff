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
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.Fhir;
import org.placeshare.policy.NhsNumber;

/** The README's first command, as a newcomer would use it: the printed curl lines work. */
class DemoTest {

  private static final Pattern CURL =
      Pattern.compile(
          "curl -s -H 'Authorization: Bearer ([A-Za-z0-9._-]+)'"
              + "(?: -H 'X-Emergency-Reason: ([^']+)')? (\\S+/fhir/\\S+)");
  private static final Pattern IG_GET =
      Pattern.compile(
          "curl -s -H 'Authorization: Bearer ([A-Za-z0-9._-]+)' (\\S+/(?:agreements|policy/status))\n");
  private static final Pattern WHAT_IF =
      Pattern.compile(
          "curl -s -H 'Authorization: Bearer ([A-Za-z0-9._-]+)' -H 'Content-Type: application/json'"
              + " (\\S+/policy/evaluate) -d '([^']+)'");

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void demo_printedCurlLines_giveOne200OneRefusalAndOneEmergency() throws Exception {
    // Under target/ (not @TempDir): its folders must be enterable by the server user under root.
    Path folder = Files.createDirectories(Path.of("target", "demo-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    List<Integer> statuses = new ArrayList<>();
    List<Integer> igStatuses = new ArrayList<>();
    String output;
    try (Demo demo = Demo.start(new DemoFolder(folder), "127.0.0.1", freePort(), clock)) {
      assertThat(demo.people)
          .hasSize(50)
          .allSatisfy(p -> assertThat(p.nhsNumber().isTestNumber()).isTrue());
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      demo.printWelcome(new PrintStream(buffer, true, StandardCharsets.UTF_8), clock);
      output = buffer.toString(StandardCharsets.UTF_8);

      Matcher curl = CURL.matcher(output);
      while (curl.find()) {
        HttpRequest.Builder request =
            HttpRequest.newBuilder(URI.create(curl.group(3).replace("\\$", "$")))
                .header("Authorization", "Bearer " + curl.group(1));
        if (curl.group(2) != null) {
          request.header("X-Emergency-Reason", curl.group(2));
        }
        HttpResponse<String> response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        statuses.add(response.statusCode());
        if (response.statusCode() == 200) {
          Bundle bundle = Fhir.json().parseResource(Bundle.class, response.body());
          assertThat(bundle.getTotal()).isGreaterThan(1);
        }
      }
      Matcher get = IG_GET.matcher(output);
      while (get.find()) {
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(get.group(2)))
                .header("Authorization", "Bearer " + get.group(1))
                .build();
        igStatuses.add(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode());
      }
      Matcher whatIf = WHAT_IF.matcher(output);
      assertThat(whatIf.find()).isTrue();
      HttpResponse<String> evaluated =
          http.send(
              HttpRequest.newBuilder(URI.create(whatIf.group(2)))
                  .header("Authorization", "Bearer " + whatIf.group(1))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(whatIf.group(3)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(evaluated.statusCode()).as(evaluated.body()).isEqualTo(200);
      assertThat(evaluated.body()).contains("consent is required and none was presented");
    }

    assertThat(igStatuses).containsExactly(200, 200);

    assertThat(statuses).containsExactly(200, 403, 200);
    assertThat(folder.resolve("keys/gateway.key.pem")).exists();
    assertThat(folder.resolve("agreements/coventry-direct-care.yaml")).exists();
    assertThat(output).contains("999 000 0018");
    // Every NHS number the demo prints is a valid test-range number.
    Matcher numbers = Pattern.compile("/fhir/Patient/(\\d{10})/").matcher(output);
    while (numbers.find()) {
      assertThat(NhsNumber.parse(numbers.group(1)).isTestNumber()).isTrue();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
