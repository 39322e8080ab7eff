package org.placeshare.ops;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.witness.WitnessConfig;
import org.placeshare.gateway.witness.WitnessServer;

/**
 * The demo's two partner witnesses (docs/audit.md, "Running a witness"): the GP federation's and
 * the council's, each a C2SP tlog-witness server with its own cosigning key, on loopback beside the
 * gateway. The gateway submits each checkpoint to both and serves it witnessed when both have
 * cosigned (quorum 2). In a place each runs on its partner's own machine with its own database;
 * here both share the gateway's embedded one (their {@code witness_} tables, rows keyed by each
 * witness's name), and their verifier keys are written beside the log's in {@code keys/}.
 */
final class DemoWitnesses implements AutoCloseable {

  /** A partner that witnesses the log: its witness's name and the stem of its key files. */
  enum Partner {
    GP_FEDERATION("witness.gpfed.example/coventry", "witness-gpfed"),
    COUNCIL("witness.council.example/coventry", "witness-council");

    final String name;
    final String stem;

    Partner(String name, String stem) {
      this.name = name;
      this.stem = stem;
    }
  }

  /**
   * A witness logs each cosignature (its operator's sign of life); in the demo both share the
   * demo's console with its printed lines, two a second while the log grows: warnings only. Held
   * here, since the logging system keeps only weak references to its loggers and their levels.
   */
  private static final Logger WITNESS_LOG = Logger.getLogger(WitnessServer.class.getName());

  /** How long the demo's checkpoints may wait for both witnesses before the IG alert. */
  static final String MAX_LAG = "PT2M";

  private final List<WitnessServer> servers;

  private DemoWitnesses(List<WitnessServer> servers) {
    this.servers = List.copyOf(servers);
  }

  /**
   * The witnesses' ports: after the gateway's and its management listener's, or free ones when the
   * gateway's port is chosen (0). Chosen before the gateway starts, since its configuration names
   * them.
   */
  static List<Integer> ports(int gatewayPort) throws IOException {
    List<Integer> ports = new ArrayList<>();
    for (Partner p : Partner.values()) {
      ports.add(gatewayPort == 0 ? freePort() : gatewayPort + 2 + p.ordinal());
    }
    return ports;
  }

  /**
   * Writes each witness's key pair into {@code keys/} if missing, and answers the gateway's {@code
   * witnessing} section naming them.
   */
  static Map<String, Object> config(DemoFolder folder, List<Integer> ports) throws IOException {
    List<Map<String, Object>> witnesses = new ArrayList<>();
    for (Partner p : Partner.values()) {
      if (!Files.exists(key(folder, p))) {
        KeygenCommand.writeWitnessKey(p.name, key(folder, p), verifierKey(folder, p));
      }
      witnesses.add(
          Map.of(
              "url",
              "http://127.0.0.1:" + ports.get(p.ordinal()),
              "key",
              folder.root.relativize(verifierKey(folder, p)).toString()));
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("witnesses", witnesses);
    section.put("quorum", Partner.values().length);
    section.put("maxLag", MAX_LAG);
    // The demo keeps releasing if witnessing falls behind: the alert shows it; production decides.
    section.put("failClosed", false);
    return section;
  }

  /** Starts both witnesses, each witnessing the log whose verifier key the demo wrote. */
  static DemoWitnesses start(
      Vertx vertx, Pool pool, DemoFolder folder, List<Integer> ports, Clock clock)
      throws IOException {
    NoteVerifierKey log = NoteVerifierKey.read(folder.auditNoteVerifierKey());
    WITNESS_LOG.setLevel(Level.WARNING);
    List<WitnessServer> started = new ArrayList<>();
    try {
      for (Partner p : Partner.values()) {
        WitnessConfig config =
            new WitnessConfig(
                "127.0.0.1",
                ports.get(p.ordinal()),
                NoteSigner.parse(Files.readString(key(folder, p))),
                List.of(WitnessConfig.WitnessedLog.of(log)),
                Optional.empty(),
                folder.root.resolve("data"));
        started.add(WitnessServer.start(vertx, config, pool, clock).await());
      }
    } catch (RuntimeException e) {
      started.forEach(s -> s.close().await());
      throw e;
    }
    return new DemoWitnesses(started);
  }

  /** Longest the demo waits at start for a checkpoint both witnesses have cosigned. */
  static final Duration FIRST_WITNESSED_WAIT = Duration.ofSeconds(20);

  /**
   * Waits (at most {@link #FIRST_WITNESSED_WAIT}) until the gateway serves a checkpoint both
   * witnesses have cosigned, so the welcome's checkpoint line shows their cosignatures. Once one is
   * witnessed the gateway serves the newest witnessed: the wait is needed once.
   */
  static void awaitWitnessed(String base) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + FIRST_WITNESSED_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> checkpoint =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/audit/checkpoint")).build(),
              HttpResponse.BodyHandlers.ofString());
      if (checkpoint.statusCode() == 200
          && Arrays.stream(Partner.values())
              .allMatch(p -> checkpoint.body().contains("\n\u2014 " + p.name + " "))) {
        return;
      }
      Thread.sleep(200);
    }
    // The demo works without: the checkpoint is served with the cosignatures it has so far.
  }

  static Path key(DemoFolder folder, Partner p) {
    return folder.root.resolve("keys/" + p.stem + ".key");
  }

  /** A witness's verifier key (name+hash+base64(0x04||key)): what `audit verify` checks with. */
  static Path verifierKey(DemoFolder folder, Partner p) {
    return folder.root.resolve("keys/" + p.stem + ".vkey");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    servers.forEach(s -> s.close().await());
  }
}
