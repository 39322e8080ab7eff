package org.placeshare.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.ops.NotificationRig.Received;
import org.placeshare.ops.NotificationRig.Subscriber;

/**
 * Change notifications fanned out per second (a benchmark, not a test): the gateway as a real
 * process on the embedded PostgreSQL, 10 subscribers of one council each subscribed to the same
 * people, a receiver on loopback answering 200 at once. N events are posted from several threads;
 * reports event acknowledgements per second and deliveries per second end to end (first post to the
 * last delivery received).
 *
 * <p>Arguments: events (500), posting threads (8), the worker's batch (20), its poll in ms (100).
 */
public final class NotificationBenchmark {

  static final int SUBSCRIBERS = 10;

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int poll = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    Path dir = Files.createDirectories(Path.of("target", "notify-bench-" + System.nanoTime()));
    List<Subscriber> subscribers = new ArrayList<>();
    for (int i = 0; i < SUBSCRIBERS; i++) {
      subscribers.add(new Subscriber("council-notify-" + i, "E08000026", true));
    }
    List<SyntheticPerson> population = SyntheticPopulation.generate(50, 7);
    List<String> people =
        population.stream().map(SyntheticPerson::nhsNumber).map(Object::toString).toList();
    Map<String, Object> timings =
        Map.of(
            "pollMillis", poll,
            "batch", batch,
            "deadlineMillis", 10_000,
            "leaseMillis", 120_000,
            "retryBaseMillis", 1000,
            "retryCapMillis", 10_000,
            "maxAttempts", 8);
    try (NotificationRig rig =
        new NotificationRig(dir, population, subscribers, timings, Duration.ZERO)) {
      rig.launch();
      rig.subscribeAll(people);
      String token = rig.token(NotificationRig.REPORTER, "event-reporter");
      // Warm-up: one event to every subscriber, not counted.
      rig.report(token, "warm-up", people.get(0));
      awaitDistinct(rig, SUBSCRIBERS, Duration.ofSeconds(60));
      int warm = rig.received.size();

      ExecutorService pool = Executors.newFixedThreadPool(threads);
      AtomicInteger next = new AtomicInteger();
      long start = System.nanoTime();
      List<Future<Integer>> posters = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        posters.add(
            pool.submit(
                () -> {
                  int acknowledged = 0;
                  for (int i = next.getAndIncrement(); i < events; i = next.getAndIncrement()) {
                    int status = rig.report(token, "bench-" + i, people.get(i % people.size()));
                    if (status == 201) {
                      acknowledged++;
                    }
                  }
                  return acknowledged;
                }));
      }
      int acknowledged = 0;
      for (Future<Integer> f : posters) {
        acknowledged += f.get();
      }
      long acked = System.nanoTime();
      pool.shutdown();
      awaitDistinct(rig, SUBSCRIBERS + acknowledged * SUBSCRIBERS, Duration.ofMinutes(10));
      long done = System.nanoTime();
      long distinct = distinctKeys(rig);
      double ackSeconds = (acked - start) / 1e9;
      double allSeconds = (done - start) / 1e9;
      System.out.printf("machine: %d vCPU%n", Runtime.getRuntime().availableProcessors());
      System.out.printf(
          "events: %d posted from %d threads, %d acknowledged (201); %d subscribers;"
              + " worker batch %d, poll %d ms%n",
          events, threads, acknowledged, SUBSCRIBERS, batch, poll);
      System.out.printf(
          "events acknowledged: %.0f/s (%.2f s for all)%n", acknowledged / ackSeconds, ackSeconds);
      System.out.printf(
          "deliveries: %d (%d received, repeats %d) in %.2f s from the first post: %.0f/s%n",
          distinct - SUBSCRIBERS,
          rig.received.size() - warm,
          rig.received.size() - distinct,
          allSeconds,
          (distinct - SUBSCRIBERS) / allSeconds);
      System.out.printf(
          "events fanned out to all %d subscribers: %.1f/s%n",
          SUBSCRIBERS, (distinct - SUBSCRIBERS) / (double) SUBSCRIBERS / allSeconds);
    }
  }

  private static long distinctKeys(NotificationRig rig) {
    return rig.received.stream().map(Received::idempotencyKey).collect(Collectors.toSet()).size();
  }

  private static void awaitDistinct(NotificationRig rig, long count, Duration within)
      throws InterruptedException {
    long until = System.nanoTime() + within.toNanos();
    while (distinctKeys(rig) < count) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException(
            "only " + distinctKeys(rig) + " of " + count + " deliveries within " + within);
      }
      Thread.sleep(10);
    }
  }
}
