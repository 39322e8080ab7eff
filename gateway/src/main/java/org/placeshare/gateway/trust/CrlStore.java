package org.placeshare.gateway.trust;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.security.auth.x500.X500Principal;
import org.placeshare.gateway.storage.FilePoll;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.RevocationList;

/**
 * The client CA's revocation list in force, reloaded when its file changes. A list that cannot be
 * read, is not signed by the client CA, is older than the one in force, or leaves out a CA whose
 * list is in force is refused, and the one in force stays.
 */
public final class CrlStore {

  private static final Logger LOG = Logger.getLogger(CrlStore.class.getName());

  /**
   * What an IG lead sees of the list and its loading.
   *
   * @param lastError the last refused reload's problem; empty once a reload succeeds
   */
  public record Status(
      Path file,
      String fingerprint,
      int revoked,
      Optional<Instant> nextUpdate,
      Instant loadedAt,
      Instant checkedAt,
      long reloads,
      long refusedReloads,
      Optional<String> lastError,
      Optional<Instant> lastErrorAt) {}

  private final Path file;
  private final List<X509Certificate> authorities;
  private final Clock clock;
  private final AtomicReference<RevocationList> current = new AtomicReference<>();
  private final AtomicReference<Status> status = new AtomicReference<>();
  private final FilePoll poll;

  private CrlStore(Path file, List<X509Certificate> authorities, Clock clock) {
    this.file = file;
    this.authorities = List.copyOf(authorities);
    this.clock = clock;
    this.poll = new FilePoll("client CRL", () -> FilePoll.stampOf(file), this::reloadNow);
  }

  /**
   * Loads the list for start-up.
   *
   * @param clientCa the PEM file of the CA certificates the list must be signed by
   * @throws PolicyException when it cannot be loaded; the gateway does not start
   */
  public static CrlStore load(Path file, Path clientCa, Clock clock) {
    CrlStore store = new CrlStore(file, RevocationList.authorities(clientCa), clock);
    RevocationList list = RevocationList.load(file, store.authorities);
    store.current.set(list);
    Instant now = clock.instant();
    store.status.set(
        new Status(
            file,
            list.fingerprint(),
            list.entries(),
            list.nextUpdate(),
            now,
            now,
            0,
            0,
            Optional.empty(),
            Optional.empty()));
    return store;
  }

  /** Why this certificate may not be used, if the list in force revokes it. */
  public Optional<String> revoked(X509Certificate certificate) {
    return current.get().revoked(certificate);
  }

  public Status status() {
    return status.get();
  }

  /** Checks the file every {@code every} and reloads when it changed. */
  public void watch(Vertx vertx, Duration every) {
    poll.watch(vertx, every);
  }

  public void stop(Vertx vertx) {
    poll.stop(vertx);
  }

  /** Reloads now (off the event loop). */
  public Future<Status> reload(Vertx vertx) {
    return poll.reloadNow(vertx).map(v -> status());
  }

  private synchronized void reloadNow() {
    Instant now = clock.instant();
    Status before = status.get();
    try {
      RevocationList loaded = RevocationList.load(file, authorities);
      RevocationList running = current.get();
      for (X500Principal issuer : running.issuers()) {
        // A file without a CA's list would bring all that CA's revoked certificates back.
        if (!loaded.issuers().contains(issuer)) {
          throw new PolicyException(
              file + ": has no CRL of " + issuer.getName() + ", whose list is in force");
        }
      }
      for (X500Principal issuer : loaded.issuers()) {
        Instant made = loaded.thisUpdate(issuer).orElseThrow();
        Optional<Instant> inForce = running.thisUpdate(issuer);
        // A list older than the one in force would bring revoked certificates back.
        if (inForce.isPresent() && made.isBefore(inForce.get())) {
          throw new PolicyException(
              file
                  + ": the CRL of "
                  + issuer.getName()
                  + " was made at "
                  + made
                  + ", before the one in force ("
                  + inForce.get()
                  + ")");
        }
      }
      boolean changed = !loaded.fingerprint().equals(running.fingerprint());
      if (changed) {
        current.set(loaded);
        LOG.info("client CRL reloaded: " + loaded.entries() + " certificates revoked");
      }
      status.set(
          new Status(
              file,
              loaded.fingerprint(),
              loaded.entries(),
              loaded.nextUpdate(),
              changed ? now : before.loadedAt(),
              now,
              before.reloads() + (changed ? 1 : 0),
              before.refusedReloads(),
              Optional.empty(),
              Optional.empty()));
    } catch (PolicyException e) {
      LOG.warning("client CRL reload refused; the list in force stays: " + e.getMessage());
      status.set(
          new Status(
              file,
              before.fingerprint(),
              before.revoked(),
              before.nextUpdate(),
              before.loadedAt(),
              now,
              before.reloads(),
              before.refusedReloads() + 1,
              Optional.of(e.getMessage()),
              Optional.of(now)));
    }
  }
}
