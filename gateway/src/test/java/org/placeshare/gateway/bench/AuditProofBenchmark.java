package org.placeshare.gateway.bench;

import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * Proof latency as the log grows, and the append throughput that grows it (tiles written in each
 * batch's transaction): the log is grown to each size given (e.g. {@code 100000,1000000}) with
 * {@code concurrency} appends in flight, then {@code proofs} inclusion proofs (random leaf, the
 * whole tree) and as many consistency proofs (random older size) are asked one at a time of {@link
 * AuditTree}, as the proof endpoints ask, each checked with {@link Merkle}'s verifier outside the
 * timing, after 500 of each not counted. Run with {@code ops/bench/audit-proofs.sh}.
 */
public final class AuditProofBenchmark {

  private static final int WARM_UP = 500;

  public static void main(String[] args) throws Exception {
    long[] sizes =
        Arrays.stream((args.length > 0 ? args[0] : "100000,1000000").split(","))
            .mapToLong(Long::parseLong)
            .toArray();
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int proofs = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    Path folder = Files.createDirectories(Path.of("target", "bench-proofs-postgres"));
    Vertx vertx = Vertx.vertx();
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(folder)) {
      Database db = Database.open(vertx, postgres.url(), folder.resolve("unused")).await();
      db.pool().query("TRUNCATE audit_event, audit_tile").execute().await();
      db.pool().query("UPDATE audit_tree SET size = 0, frontier = '{}'").execute().await();
      AuditLog log = new AuditLog(db.pool());
      AuditTree tree = new AuditTree(db.pool(), SigningKey.generate(), "bench", Clock.systemUTC());
      long size = 0;
      Random random = new Random(21);
      for (long target : sizes) {
        long started = System.nanoTime();
        append(log, target - size, concurrency);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf(
            "grew %,d -> %,d events, %d in flight: %.1f s, %.0f events/s%n",
            size, target, concurrency, seconds, (target - size) / seconds);
        size = target;
        // Warm-up, not counted: the JIT, the pool's connections, the tiles' first pages.
        for (int i = 0; i < WARM_UP; i++) {
          tree.inclusion(Math.floorMod(random.nextLong(), size), size).await();
          tree.consistency(1 + Math.floorMod(random.nextLong(), size), size).await();
        }
        long[] inclusion = new long[proofs];
        long[] consistency = new long[proofs];
        for (int i = 0; i < proofs; i++) {
          long index = Math.floorMod(random.nextLong(), size);
          long t0 = System.nanoTime();
          AuditTree.Inclusion p = tree.inclusion(index, size).await();
          inclusion[i] = System.nanoTime() - t0;
          Merkle.verifyInclusion(index, size, p.leafHash(), p.proof(), p.root());
          long from = 1 + Math.floorMod(random.nextLong(), size);
          t0 = System.nanoTime();
          AuditTree.Consistency c = tree.consistency(from, size).await();
          consistency[i] = System.nanoTime() - t0;
          Merkle.verifyConsistency(from, size, c.proof(), c.fromRoot(), c.toRoot());
        }
        report("inclusion", size, inclusion);
        report("consistency", size, consistency);
      }
      db.close().await();
    } finally {
      vertx.close().await();
    }
  }

  private static void report(String kind, long size, long[] nanos) {
    Arrays.sort(nanos);
    System.out.printf(
        "%s proofs at %,d: n=%d p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        kind,
        size,
        nanos.length,
        nanos[nanos.length / 2] / 1e6,
        nanos[(int) (nanos.length * 0.99)] / 1e6,
        nanos[nanos.length - 1] / 1e6);
  }

  private static void append(AuditLog log, long events, int concurrency) throws Exception {
    NhsNumber person = NhsNumber.parse("9990000018");
    Semaphore inFlight = new Semaphore(concurrency);
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong left = new AtomicLong(events);
    AtomicLong failed = new AtomicLong();
    for (long i = 0; i < events; i++) {
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
                  failed.incrementAndGet();
                }
                inFlight.release();
                if (left.decrementAndGet() == 0) {
                  done.countDown();
                }
              });
    }
    if (events > 0) {
      done.await();
    }
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " appends failed");
    }
  }
}
