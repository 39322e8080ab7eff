package org.placeshare.gateway.mapping;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;
import org.placeshare.fhir.mapped.SourceMapping;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.storage.FilePoll;
import org.placeshare.policy.PolicyException;

/**
 * The mapping files of the mapped sources in force, each swapped whole, as agreements are in {@code
 * PolicyStore}: the files are polled (and reloaded when an IG lead reloads the agreements); a valid
 * changed mapping takes over from the next fetch of its source, a broken one is refused with every
 * problem at its {@code file:line:column} and the running mapping stays. Each mapping taken over
 * and each refused is audited ({@value #ACTION}).
 */
public final class MappingStore {

  private static final Logger LOG = Logger.getLogger(MappingStore.class.getName());

  /** The audit action of a mapping reload, taken over or refused. */
  public static final String ACTION = "mapping-reload";

  /**
   * What an operator sees of the loading.
   *
   * @param lastError every problem of the last refused reload; empty once every file loads
   */
  public record Status(
      Map<String, String> fingerprints,
      Instant checkedAt,
      long reloads,
      long refusedReloads,
      Optional<String> lastError,
      Optional<Instant> lastErrorAt) {}

  /** A mapping in force and the SHA-256 of the file it was read from. */
  private record Loaded(SourceMapping mapping, String fingerprint) {}

  /** One file's reload: taken over or refused, for the audit. */
  private record Outcome(String source, boolean refused, String detail) {}

  private final Map<String, Path> files;
  private final Map<String, AtomicReference<Loaded>> current;
  private final Clock clock;
  private final AtomicReference<Status> status = new AtomicReference<>();
  private final FilePoll poll;
  private final List<Outcome> unaudited = new ArrayList<>();
  private volatile AuditLog audit;

  private MappingStore(Map<String, Path> files, Clock clock) {
    this.files = Map.copyOf(files);
    this.clock = clock;
    this.current = new LinkedHashMap<>();
    this.poll = new FilePoll("mappings", this::stamp, this::reloadNow);
  }

  /**
   * Loads every mapping for start-up.
   *
   * @param files each mapped source's id and its mapping file
   * @throws PolicyException when a mapping cannot be loaded; the gateway does not start
   */
  public static MappingStore load(Map<String, Path> files, Clock clock) {
    MappingStore store = new MappingStore(files, clock);
    Map<String, String> prints = new LinkedHashMap<>();
    files.forEach(
        (source, file) -> {
          Loaded loaded = read(file);
          store.current.put(source, new AtomicReference<>(loaded));
          prints.put(source, loaded.fingerprint());
        });
    store.status.set(new Status(prints, clock.instant(), 0, 0, Optional.empty(), Optional.empty()));
    return store;
  }

  /** The mapping of a source as it stands at each call: a fetch asks once and keeps it. */
  public Supplier<SourceMapping> mapping(String source) {
    AtomicReference<Loaded> ref = current.get(source);
    if (ref == null) {
      throw new IllegalArgumentException("no mapping is loaded for source " + source);
    }
    return () -> ref.get().mapping();
  }

  public Status status() {
    return status.get();
  }

  /** Where reloads are audited; until then they are kept and audited when it is given. */
  public Future<Void> auditTo(AuditLog log) {
    this.audit = log;
    return flush();
  }

  /** Checks the files every {@code every}, reloads when one changed, and audits the outcome. */
  public void watch(Vertx vertx, Duration every) {
    if (!files.isEmpty()) {
      poll.watch(vertx, every, changed -> flush());
    }
  }

  public void stop(Vertx vertx) {
    poll.stop(vertx);
  }

  /** Reloads every mapping now (off the event loop) and audits the outcome. */
  public Future<Status> reload(Vertx vertx) {
    return poll.reloadNow(vertx).compose(v -> flush()).map(v -> status());
  }

  private String stamp() {
    StringBuilder sb = new StringBuilder();
    files.forEach((source, file) -> sb.append(source).append(':').append(FilePoll.stampOf(file)));
    return sb.toString();
  }

  // One reload at a time; each file on its own, so one broken mapping does not hold back another.
  private synchronized void reloadNow() {
    Instant now = clock.instant();
    Status before = status.get();
    Map<String, String> prints = new LinkedHashMap<>(before.fingerprints());
    List<String> problems = new ArrayList<>();
    long taken = 0;
    for (Map.Entry<String, Path> e : files.entrySet()) {
      String source = e.getKey();
      AtomicReference<Loaded> ref = current.get(source);
      try {
        Loaded loaded = read(e.getValue());
        if (loaded.fingerprint().equals(ref.get().fingerprint())) {
          continue;
        }
        if (loaded.mapping().traced() != ref.get().mapping().traced()) {
          // A traced source is another kind of source (a roster, links): that needs a restart.
          throw new PolicyException(
              e.getValue().getFileName()
                  + ": roster: expected the mapping to stay "
                  + (ref.get().mapping().traced() ? "traced (with" : "untraced (without")
                  + " a roster) until a restart, got "
                  + (loaded.mapping().traced() ? "a roster" : "none"));
        }
        ref.set(loaded);
        prints.put(source, loaded.fingerprint());
        taken++;
        LOG.info("mapping of source " + source + " reloaded: " + loaded.mapping().id());
        record(
            new Outcome(
                source,
                false,
                "mapping of source "
                    + source
                    + " reloaded: "
                    + loaded.mapping().id()
                    + ", sha256 "
                    + loaded.fingerprint()));
      } catch (PolicyException ex) {
        problems.add(ex.getMessage());
        // The messages can quote file content, so the log gives a count; the status has them.
        LOG.warning(
            "mapping of source "
                + source
                + " refused ("
                + ex.getMessage().lines().count()
                + " problems); the running mapping stays in force");
        record(
            new Outcome(
                source,
                true,
                "mapping of source "
                    + source
                    + " refused; the running mapping stays in force: "
                    + ex.getMessage()));
      }
    }
    boolean refused = !problems.isEmpty();
    status.set(
        new Status(
            Map.copyOf(prints),
            now,
            before.reloads() + taken,
            before.refusedReloads() + (refused ? 1 : 0),
            refused ? Optional.of(String.join("\n", problems)) : Optional.empty(),
            refused ? Optional.of(now) : Optional.empty()));
  }

  private void record(Outcome outcome) {
    synchronized (unaudited) {
      unaudited.add(outcome);
    }
  }

  /** Audits the outcomes not yet audited; kept for the next try when the log cannot take them. */
  private Future<Void> flush() {
    AuditLog log = audit;
    if (log == null) {
      return Future.succeededFuture();
    }
    List<Outcome> pending;
    synchronized (unaudited) {
      pending = List.copyOf(unaudited);
      unaudited.clear();
    }
    Instant now = clock.instant();
    List<Future<Long>> appends = pending.stream().map(o -> log.append(event(o, now))).toList();
    return Future.all(appends)
        .onFailure(
            e -> {
              synchronized (unaudited) {
                unaudited.addAll(0, pending);
              }
              LOG.warning("mapping reloads not audited, will retry: " + e);
            })
        .mapEmpty();
  }

  private static AuditEvent event(Outcome o, Instant now) {
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        UUID.randomUUID().toString(),
        ACTION,
        o.refused() ? AuditEvent.Outcome.REFUSED : AuditEvent.Outcome.PERMITTED,
        o.refused() ? 422 : 200,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of(),
        List.of(),
        o.detail(),
        0);
  }

  private static Loaded read(Path file) {
    String before = fingerprint(file);
    SourceMapping mapping = SourceMapping.load(file);
    String after = fingerprint(file);
    if (!before.equals(after)) {
      // Mid-edit: the next check sees the change and reads it whole.
      throw new PolicyException(file.getFileName() + ": changed while it was being read");
    }
    return new Loaded(mapping, after);
  }

  private static String fingerprint(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
