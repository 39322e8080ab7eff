package org.placeshare.gateway.trust;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.storage.FilePoll;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistry;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * The client registry in force, swapped whole, as agreements are in {@code PolicyStore}: the
 * clients file is polled and reloaded when it changes (or when an IG lead asks); a valid new
 * registry replaces the old one atomically, a broken one is refused and the running registry stays
 * in force. Each change of a client's status is recorded for the fleet ({@link ClientStatuses}) and
 * audited once.
 */
public final class ClientStore implements Supplier<ClientRegistry> {

  private static final Logger LOG = Logger.getLogger(ClientStore.class.getName());

  /** The audit action of a client's change of status. */
  public static final String ACTION = "client-status";

  /**
   * What an IG lead sees of the registry and its loading.
   *
   * @param file the file it is reloaded from; empty when fixed until a restart
   * @param lastError every problem of the last refused reload; empty once a reload succeeds
   */
  public record Status(
      Optional<Path> file,
      String fingerprint,
      int clients,
      int suspended,
      Instant loadedAt,
      Instant checkedAt,
      long reloads,
      long refusedReloads,
      Optional<String> lastError,
      Optional<Instant> lastErrorAt) {}

  private final Optional<GatewayConfig.ClientsFile> file;
  private final Set<String> organisations;
  private final Function<List<GatewayConfig.Client>, Map<String, RegisteredClient>> registration;
  private final Clock clock;
  private final AtomicReference<ClientRegistry> current = new AtomicReference<>();
  private final AtomicReference<Status> status = new AtomicReference<>();
  private ClientStatuses statuses;
  private AuditLog audit;
  private final FilePoll poll;
  private volatile boolean unrecorded = true;

  private ClientStore(
      Optional<GatewayConfig.ClientsFile> file,
      Set<String> organisations,
      Function<List<GatewayConfig.Client>, Map<String, RegisteredClient>> registration,
      Clock clock) {
    this.file = file;
    this.organisations = Set.copyOf(organisations);
    this.registration = registration;
    this.clock = clock;
    this.poll =
        new FilePoll(
            "clients", () -> file.map(f -> FilePoll.stampOf(f.path())).orElse(""), this::reloadNow);
  }

  /**
   * The registry of the configuration's clients, for start-up.
   *
   * @param registration reads each client's key into its registration
   * @throws RuntimeException when a client cannot be registered; the gateway does not start
   */
  public static ClientStore load(
      GatewayConfig config,
      Function<List<GatewayConfig.Client>, Map<String, RegisteredClient>> registration,
      Clock clock) {
    Set<String> codes =
        config.organisations().stream()
            .map(GatewayConfig.Organisation::code)
            .collect(Collectors.toSet());
    ClientStore store = new ClientStore(config.clientsFile(), codes, registration, clock);
    ClientRegistry registry = ClientRegistry.of(registration.apply(config.clients()));
    store.current.set(registry);
    Instant now = clock.instant();
    store.status.set(
        new Status(
            store.file.map(GatewayConfig.ClientsFile::path),
            fingerprint(registry),
            registry.clients().size(),
            suspended(registry),
            now,
            now,
            0,
            0,
            Optional.empty(),
            Optional.empty()));
    return store;
  }

  /** The registry in force now. */
  @Override
  public ClientRegistry get() {
    return current.get();
  }

  public Status status() {
    return status.get();
  }

  /**
   * Records the registry's statuses for the fleet and audits each change; done at start-up, before
   * the gateway listens, and after every reload.
   */
  public Future<Void> record(Pool pool, AuditLog audit) {
    this.statuses = new ClientStatuses(pool);
    this.audit = audit;
    return record(Optional.empty(), UUID.randomUUID().toString());
  }

  private Future<Void> record(Optional<Caller> by, String requestId) {
    if (statuses == null) {
      return Future.succeededFuture();
    }
    Instant now = clock.instant();
    return statuses
        .record(current.get(), now)
        .compose(
            changes -> {
              List<Future<Long>> appends =
                  changes.stream().map(c -> audit.append(event(c, by, requestId, now))).toList();
              changes.forEach(
                  c ->
                      LOG.info(
                          "client " + c.clientId() + " now " + c.to() + " (was " + c.from() + ")"));
              return Future.all(appends);
            })
        .onSuccess(v -> unrecorded = false)
        .onFailure(
            e -> {
              unrecorded = true;
              LOG.warning("client statuses not recorded for the fleet, will retry: " + e);
            })
        .mapEmpty();
  }

  private static AuditEvent event(
      ClientStatuses.Change c, Optional<Caller> by, String requestId, Instant now) {
    String what =
        switch (c.to()) {
          case ClientStatuses.SUSPENDED -> "suspended";
          case ClientStatuses.REMOVED -> "removed from the registry";
          default -> c.from().equals(ClientStatuses.REMOVED) ? "registered again" : "reinstated";
        };
    String detail =
        "client "
            + c.clientId()
            + " ("
            + c.organisation()
            + ") "
            + what
            + " (was "
            + c.from()
            + ")"
            + (c.revoking()
                ? ": its access tokens, console sessions and cohort jobs stop on every instance"
                : "");
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        requestId,
        ACTION,
        AuditEvent.Outcome.PERMITTED,
        200,
        Optional.empty(),
        by,
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of(),
        List.of(),
        detail,
        0);
  }

  /** Checks the file every {@code every}, reloads when it changed, and records any change. */
  public void watch(Vertx vertx, Duration every) {
    if (file.isEmpty()) {
      return;
    }
    poll.watch(
        vertx,
        every,
        changed ->
            changed || unrecorded
                ? record(Optional.empty(), UUID.randomUUID().toString())
                : Future.succeededFuture());
  }

  public void stop(Vertx vertx) {
    poll.stop(vertx);
  }

  /**
   * Reloads now (off the event loop) and records any change for the fleet before answering; the
   * status says whether the new registry took over.
   *
   * @param by the IG lead who asked, named in the audit of each change
   */
  public Future<Status> reload(Vertx vertx, Optional<Caller> by, String requestId) {
    return poll.reloadNow(vertx).compose(v -> record(by, requestId)).map(v -> status());
  }

  // One reload at a time, as for agreements.
  private synchronized void reloadNow() {
    Instant now = clock.instant();
    Status before = status.get();
    if (file.isEmpty()) {
      status.set(
          refused(
              before,
              now,
              "the clients are fixed in this configuration: a change needs a restart"));
      return;
    }
    try {
      ClientRegistry loaded =
          ClientRegistry.of(
              registration.apply(GatewayConfig.reloadClients(file.get(), organisations)));
      String fingerprint = fingerprint(loaded);
      boolean changed = !fingerprint.equals(before.fingerprint());
      if (changed) {
        current.set(loaded);
        LOG.info("clients reloaded: " + loaded.clients().size() + " registered");
      }
      status.set(
          new Status(
              before.file(),
              fingerprint,
              loaded.clients().size(),
              suspended(loaded),
              changed ? now : before.loadedAt(),
              now,
              before.reloads() + (changed ? 1 : 0),
              before.refusedReloads(),
              Optional.empty(),
              Optional.empty()));
    } catch (GatewayConfig.ConfigException | PolicyException | IllegalArgumentException e) {
      // The messages can quote file content, so the log gives a count; the status has them.
      LOG.warning(
          "clients reload refused ("
              + e.getMessage().lines().count()
              + " problems); the running registry stays in force, see GET /trust/clients");
      status.set(refused(before, now, e.getMessage()));
    }
  }

  private static Status refused(Status before, Instant now, String why) {
    return new Status(
        before.file(),
        before.fingerprint(),
        before.clients(),
        before.suspended(),
        before.loadedAt(),
        now,
        before.reloads(),
        before.refusedReloads() + 1,
        Optional.of(why),
        Optional.of(now));
  }

  private static int suspended(ClientRegistry registry) {
    return (int) registry.clients().values().stream().filter(c -> !c.active()).count();
  }

  /** SHA-256 over every registration as the gateway holds it: equal registries, equal prints. */
  private static String fingerprint(ClientRegistry registry) {
    StringBuilder sb = new StringBuilder();
    for (RegisteredClient c : registry.clients().values()) {
      sb.append(c.id())
          .append('|')
          .append(c.organisation().value())
          .append('|')
          .append(c.status().code())
          .append('|')
          .append(c.purposes().stream().map(Object::toString).sorted().toList())
          .append('|')
          // A change of roles or notification hosts alone is a change of the registry too.
          .append(c.roles().stream().sorted().toList())
          .append('|')
          .append(c.notificationHosts().stream().sorted().toList())
          .append('|');
      sb.append(c.kind().code()).append('|').append(c.keys().fingerprint());
      sb.append('\n');
    }
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
