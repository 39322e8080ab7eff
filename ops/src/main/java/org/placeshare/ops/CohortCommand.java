package org.placeshare.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
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
import java.util.List;
import java.util.concurrent.Callable;
import org.placeshare.fhir.Fhir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A recipient's side of cohort export, for analysts and for the demo: register a file of NHS
 * numbers as a FHIR Group, export its records to a folder (polling the job, downloading each file),
 * follow a job started earlier (after a restart, say), or fetch the population figures.
 */
@Command(
    name = "cohort",
    mixinStandardHelpOptions = true,
    description = "Register cohorts and export them (the gateway must be running).",
    subcommands = {
      CohortCommand.Register.class,
      CohortCommand.Export.class,
      CohortCommand.Follow.class,
      CohortCommand.Summary.class
    })
final class CohortCommand {

  /** How to reach the gateway and as whom: a token, or a demo client's key to get fresh ones. */
  static final class Connection {
    @Option(
        names = "--gateway",
        defaultValue = "http://127.0.0.1:8080",
        description = "gateway URL (default ${DEFAULT-VALUE})")
    String gateway;

    @Option(
        names = "--token",
        description = "an access token; without it, tokens come from the demo folder's client key")
    String token;

    @Option(
        names = "--client",
        defaultValue = "council-intel",
        description = "demo client when no --token (default ${DEFAULT-VALUE})")
    String client;

    @Option(
        names = "--purpose",
        defaultValue = "PUBHLTH",
        description = "purpose of use when no --token (default ${DEFAULT-VALUE})")
    String purpose;

    @Option(
        names = "--folder",
        defaultValue = DemoFolder.DEFAULT,
        description = "demo folder (default ${DEFAULT-VALUE})")
    Path folder;

    private final HttpClient http = HttpClient.newHttpClient();
    private String current;
    private Instant fetched = Instant.MIN;

    /** The token to send: the one given, or a demo token renewed before it expires. */
    String token() throws Exception {
      if (token != null) {
        return token;
      }
      if (current == null || fetched.plus(Duration.ofMinutes(4)).isBefore(Instant.now())) {
        DemoClient c =
            DemoClient.byId(client)
                .orElseThrow(() -> new IllegalArgumentException("unknown demo client " + client));
        current =
            TokenCommand.fetch(new DemoFolder(folder), gateway, c, purpose, Clock.systemUTC());
        fetched = Instant.now();
      }
      return current;
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
      return http.send(
          request.header("Authorization", "Bearer " + token()).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<Path> download(URI url, Path to) throws Exception {
      return http.send(
          HttpRequest.newBuilder(url).header("Authorization", "Bearer " + token()).build(),
          HttpResponse.BodyHandlers.ofFile(to));
    }
  }

  /** The gateway's words from an OperationOutcome, or the status when there are none. */
  static String problem(HttpResponse<String> r) {
    try {
      JsonArray issues = new JsonObject(r.body()).getJsonArray("issue");
      return "HTTP " + r.statusCode() + ": " + issues.getJsonObject(0).getString("diagnostics");
    } catch (RuntimeException e) {
      return "HTTP " + r.statusCode();
    }
  }

  @Command(
      name = "register",
      mixinStandardHelpOptions = true,
      description = "Register a file of NHS numbers (one per line; # starts a comment) as a Group.")
  static final class Register implements Callable<Integer> {
    @Mixin Connection connection;

    @Option(names = "--file", required = true, description = "the NHS numbers")
    Path file;

    @Option(names = "--name", description = "a name for the cohort")
    String name;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<String> numbers =
          Files.readAllLines(file).stream()
              .map(l -> l.replaceAll("#.*", "").replace(" ", "").strip())
              .filter(l -> !l.isEmpty())
              .toList();
      HttpResponse<String> r =
          connection.send(
              HttpRequest.newBuilder(URI.create(connection.gateway + "/fhir/Group"))
                  .header("Content-Type", Fhir.JSON)
                  .POST(HttpRequest.BodyPublishers.ofString(group(numbers, name))));
      if (r.statusCode() != 201) {
        spec.commandLine().getErr().println("not registered: " + problem(r));
        return 1;
      }
      out.println(new JsonObject(r.body()).getString("id"));
      return 0;
    }
  }

  static String group(List<String> numbers, String name) {
    JsonArray members = new JsonArray();
    for (String n : numbers) {
      members.add(
          new JsonObject()
              .put(
                  "entity",
                  new JsonObject()
                      .put(
                          "identifier",
                          new JsonObject().put("system", Fhir.NHS_NUMBER_SYSTEM).put("value", n))));
    }
    JsonObject group =
        new JsonObject()
            .put("resourceType", "Group")
            .put("type", "person")
            .put("actual", true)
            .put("member", members);
    if (name != null) {
      group.put("name", name);
    }
    return group.encode();
  }

  /** Starts {@code $export} or {@code $summary}; answers the status URL, or null on refusal. */
  static String kickOff(Connection c, String group, String operation, String query, PrintWriter err)
      throws Exception {
    HttpResponse<String> r =
        c.send(
            HttpRequest.newBuilder(
                    URI.create(c.gateway + "/fhir/Group/" + group + "/" + operation + query))
                .header("Prefer", "respond-async")
                .header("Accept", Fhir.JSON));
    if (r.statusCode() != 202) {
      err.println("not started: " + problem(r));
      return null;
    }
    return r.headers().firstValue("Content-Location").orElseThrow();
  }

  /** Polls a job until it is done, printing its progress; answers the final body, or null. */
  static String await(Connection c, String status, PrintWriter err) throws Exception {
    String last = "";
    while (true) {
      HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(status)));
      if (r.statusCode() == 200) {
        return r.body();
      }
      if (r.statusCode() != 202) {
        err.println("the job ended without a result: " + problem(r));
        return null;
      }
      String progress = r.headers().firstValue("X-Progress").orElse("");
      if (!progress.equals(last)) {
        err.println("  " + progress);
        last = progress;
      }
      long wait = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(2L);
      Thread.sleep(Math.min(wait, 5) * 1000);
    }
  }

  /**
   * {@link #await}, saying so when the gateway cannot be reached (stopped or restarting, say): the
   * job is kept in the gateway's database and goes on when it is back, so the way to resume is
   * printed instead of the connection error's message, which is often empty.
   */
  static String awaitReachable(Connection c, String status, PrintWriter err) throws Exception {
    try {
      return await(c, status, err);
    } catch (IOException e) {
      err.println(
          "the gateway cannot be reached ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "); the job goes on when it is back, follow it with: cohort follow --job "
              + status);
      return null;
    }
  }

  /** Downloads every file of a finished export's manifest into {@code out}. */
  static int fetch(Connection c, String body, Path out, PrintWriter w) throws Exception {
    JsonObject manifest = new JsonObject(body);
    JsonObject counts =
        manifest
            .getJsonObject("extension", new JsonObject())
            .getJsonObject(
                "https://placeshare.example/fhir/StructureDefinition/cohort-counts",
                new JsonObject());
    w.println(
        "members "
            + counts.getInteger("members")
            + ": included "
            + counts.getInteger("included")
            + ", left out "
            + counts.getInteger("leftOut")
            + " (opted out, restricted, refused or held by no source: never told apart), failed "
            + counts.getInteger("failed"));
    JsonObject household =
        manifest
            .getJsonObject("extension", new JsonObject())
            .getJsonObject(
                "https://placeshare.example/fhir/StructureDefinition/cohort-household-counts");
    if (household != null) {
      w.println(
          "their households' other members: included "
              + household.getInteger("included")
              + ", left out "
              + household.getInteger("leftOut")
              + ", failed "
              + household.getInteger("failed")
              + "; members whose household is over the cap (their own records only) "
              + household.getInteger("overCap"));
    }
    Files.createDirectories(out);
    for (String part : List.of("output", "error")) {
      for (Object o : manifest.getJsonArray(part, new JsonArray())) {
        JsonObject file = (JsonObject) o;
        Path to = out.resolve(file.getString("type") + ".ndjson");
        HttpResponse<Path> r = c.download(URI.create(file.getString("url")), to);
        if (r.statusCode() != 200) {
          w.println("could not download " + file.getString("url") + ": HTTP " + r.statusCode());
          return 1;
        }
        w.println("  " + to + ": " + file.getInteger("count") + " " + file.getString("type"));
      }
    }
    return 0;
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = "Export a cohort's records as NDJSON into a folder, following the job.")
  static final class Export implements Callable<Integer> {
    @Mixin Connection connection;

    @Option(names = "--group", required = true, description = "the Group id")
    String group;

    @Option(names = "--type", description = "resource types, comma-separated (_type)")
    String types;

    @Option(names = "--since", description = "only records changed since (_since), an instant")
    String since;

    @Option(
        names = "--include-household",
        description = "each member's household too, as family (_includeHousehold=true)")
    boolean includeHousehold;

    @Option(
        names = "--out",
        defaultValue = "cohort-export",
        description = "folder for the files (default ${DEFAULT-VALUE})")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      StringBuilder query = new StringBuilder();
      if (types != null) {
        query.append(query.length() == 0 ? "?" : "&").append("_type=").append(encode(types));
      }
      if (since != null) {
        query.append(query.length() == 0 ? "?" : "&").append("_since=").append(encode(since));
      }
      if (includeHousehold) {
        query.append(query.length() == 0 ? "?" : "&").append("_includeHousehold=true");
      }
      PrintWriter err = spec.commandLine().getErr();
      String status = kickOff(connection, group, "$export", query.toString(), err);
      if (status == null) {
        return 1;
      }
      err.println("started: " + status + " (follow it with: cohort follow --job " + status + ")");
      String body = awaitReachable(connection, status, err);
      return body == null ? 1 : fetch(connection, body, out, spec.commandLine().getOut());
    }
  }

  @Command(
      name = "follow",
      mixinStandardHelpOptions = true,
      description = "Follow an export started earlier to its end and download its files.")
  static final class Follow implements Callable<Integer> {
    @Mixin Connection connection;

    @Option(names = "--job", required = true, description = "the job's status URL")
    String job;

    @Option(
        names = "--out",
        defaultValue = "cohort-export",
        description = "folder for the files (default ${DEFAULT-VALUE})")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      String body = awaitReachable(connection, job, spec.commandLine().getErr());
      return body == null ? 1 : fetch(connection, body, out, spec.commandLine().getOut());
    }
  }

  @Command(
      name = "summary",
      mixinStandardHelpOptions = true,
      description = "Population figures over a cohort, small numbers suppressed.")
  static final class Summary implements Callable<Integer> {
    @Mixin Connection connection;

    @Option(names = "--group", required = true, description = "the Group id")
    String group;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      String status = kickOff(connection, group, "$summary", "", err);
      String body = status == null ? null : await(connection, status, err);
      if (body == null) {
        return 1;
      }
      JsonObject summary = new JsonObject(body);
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "people: "
              + cell(summary.getJsonObject("people"))
              + " (cells under "
              + summary.getInteger("suppressionThreshold")
              + " people or households suppressed, shown as *)");
      for (String table : List.of("sex", "ageBand", "conditionCategory")) {
        StringBuilder line = new StringBuilder(table).append(":");
        for (Object row : summary.getJsonArray(table)) {
          JsonObject r = (JsonObject) row;
          line.append(' ').append(r.getString("code")).append('=').append(cell(r));
        }
        out.println(line);
      }
      return 0;
    }

    private static String cell(JsonObject r) {
      return r.getBoolean("suppressed", false) ? "*" : String.valueOf(r.getInteger("count"));
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private CohortCommand() {}
}
