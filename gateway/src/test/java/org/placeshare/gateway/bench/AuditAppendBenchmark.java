package org.placeshare.gateway.bench;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.NhsNumber;

/**
 * Durable audit appends per second with group commit, on the embedded PostgreSQL: {@code
 * concurrency} appends are kept in flight (as that many requests would), each completing only once
 * committed, until {@code events} are in the log. Run with {@code ops/bench/audit-appends.sh}.
 *
 * <p>Not JMH: it measures I/O against a database, so it reports wall-clock throughput over a run of
 * many thousand events, after a warm-up run of the same size.
 */
public final class AuditAppendBenchmark {

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    Path folder = Files.createDirectories(Path.of("target", "bench-postgres"));
    Vertx vertx = Vertx.vertx();
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(folder)) {
      Database db = Database.open(vertx, postgres.url(), folder.resolve("unused")).await();
      AuditLog log = new AuditLog(db.pool());
      run(log, events, concurrency); // warm-up: JIT, connections, the table's first pages
      long started = System.nanoTime();
      run(log, events, concurrency);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          "%d events, %d in flight, max batch %d: %.2f s, %.0f events/s%n",
          events, concurrency, AuditLog.MAX_BATCH, seconds, events / seconds);
      db.close().await();
    } finally {
      vertx.close().await();
    }
  }

  private static void run(AuditLog log, int events, int concurrency) throws Exception {
    NhsNumber person = NhsNumber.parse("9990000018");
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(concurrency);
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(events);
    for (int i = 0; i < events; i++) {
      inFlight.acquire();
      AuditEvent event =
          new AuditEvent(
              UUID.randomUUID(),
              Instant.now(),
              "bench-" + i,
              "read-person-view",
              AuditEvent.Outcome.PERMITTED,
              200,
              Optional.of(person),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              List.of(),
              Map.of("gp", List.of("Condition/c1", "Condition/c2")),
              List.of(),
              "2 resources released",
              12);
      log.append(event)
          .onComplete(
              r -> {
                if (r.failed()) {
                  r.cause().printStackTrace();
                }
                inFlight.release();
                done.countDown();
              });
    }
    done.await();
  }
}
