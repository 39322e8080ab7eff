package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.ops.NotificationRig.Received;
import org.placeshare.ops.NotificationRig.Subscriber;

/**
 * Issue 19, reliability: the gateway killed with SIGKILL in the middle of a burst of events, three
 * times over, as a real process on a real PostgreSQL. After the restarts every event that was
 * acknowledged reaches every subscriber the agreement's clause names at least once, signed by the
 * gateway; a repeat is only ever the same idempotency key with the same bytes; a subscriber the
 * clause does not name receives nothing.
 */
class NotificationCrashTest {

  static final int ROUNDS = 3;
  static final int REPORTERS = 4;

  static final Subscriber COUNCIL = new Subscriber("council-notify", "E08000026", true);
  static final Subscriber TRUST = new Subscriber("trust-notify", "R9A", true);
  static final Subscriber OTHER = new Subscriber("other-notify", "E08000025", false);

  /** Short timings: a killed instance's leases expire in 2 s, a failed try is retried in 0.2 s. */
  static final Map<String, Object> TIMINGS =
      Map.of(
          "pollMillis", 100,
          "batch", 20,
          "deadlineMillis", 1000,
          "leaseMillis", 2000,
          "retryBaseMillis", 200,
          "retryCapMillis", 1000,
          "maxAttempts", 8);

  @Test
  void killedMidBurst_everyAcknowledgedEventReachesEveryEntitledSubscriber_andNoOneElse()
      throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "notify-crash-" + System.nanoTime()));
    List<SyntheticPerson> population = SyntheticPopulation.generate(6, 19);
    List<String> people =
        population.stream().map(SyntheticPerson::nhsNumber).map(Object::toString).toList();
    try (NotificationRig rig =
        new NotificationRig(
            dir, population, List.of(COUNCIL, TRUST, OTHER), TIMINGS, Duration.ZERO)) {
      rig.launch();
      rig.subscribeAll(people);
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger sent = new AtomicInteger();
      for (int round = 0; round < ROUNDS; round++) {
        if (round > 0) {
          rig.launch();
        }
        String token = rig.token(NotificationRig.REPORTER, "event-reporter");
        int acknowledgedBefore = acknowledged.size();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService burst = Executors.newFixedThreadPool(REPORTERS);
        for (int t = 0; t < REPORTERS; t++) {
          int thread = t;
          String prefix = "r" + round + "-t" + t + "-";
          burst.submit(
              () -> {
                for (int i = 0; running.get(); i++) {
                  String id = prefix + i;
                  sent.incrementAndGet();
                  try {
                    int status = rig.report(token, id, people.get((thread + i) % people.size()));
                    if (status == 201 || status == 200) {
                      acknowledged.add(id);
                    }
                  } catch (Exception e) {
                    // the gateway was killed under this request: no acknowledgement
                  }
                }
                return null;
              });
        }
        // Kill once the burst is well under way (some events acknowledged), never by a fixed time.
        await(() -> acknowledged.size() >= acknowledgedBefore + 15, Duration.ofSeconds(60));
        rig.kill();
        running.set(false);
        burst.shutdown();
        assertThat(burst.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
      }
      // The last start: it must deliver what the kills left leased or pending.
      rig.launch();
      Map<Subscriber, Set<String>> delivered = new HashMap<>();
      await(
          () -> {
            for (Subscriber s : List.of(COUNCIL, TRUST)) {
              Set<String> ids = ConcurrentHashMap.newKeySet();
              rig.at(s).forEach(r -> ids.add(r.eventId()));
              delivered.put(s, ids);
            }
            return delivered.values().stream().allMatch(ids -> ids.containsAll(acknowledged));
          },
          Duration.ofSeconds(90));

      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(15 * ROUNDS);
      for (Subscriber s : List.of(COUNCIL, TRUST)) {
        assertThat(delivered.get(s)).as(s.id()).containsAll(acknowledged);
        Map<String, String> bodyByKey = new HashMap<>();
        Map<String, String> eventByKey = new HashMap<>();
        for (Received r : rig.at(s)) {
          assertThat(r.idempotencyKey())
              .matches("ps-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
          String before = bodyByKey.putIfAbsent(r.idempotencyKey(), r.body());
          assertThat(before == null || before.equals(r.body()))
              .as("a repeat of %s is the same bytes", r.idempotencyKey())
              .isTrue();
          eventByKey.put(r.idempotencyKey(), r.eventId());
        }
        // One key per event and subscription: no event delivered under two keys.
        assertThat(new ArrayList<>(eventByKey.values())).doesNotHaveDuplicates();
        assertThat(rig.signedByTheGateway(rig.at(s).get(0))).isTrue();
        assertThat(rig.signedByTheGateway(rig.at(s).get(rig.at(s).size() - 1))).isTrue();
      }
      assertThat(rig.at(OTHER)).as("the clause does not name E08000025").isEmpty();
      System.err.printf(
          "sent %d, acknowledged %d, received %d (council %d, trust %d)%n",
          sent.get(),
          acknowledged.size(),
          rig.received.size(),
          rig.at(COUNCIL).size(),
          rig.at(TRUST).size());
      try (NotificationRig.Database db = rig.database()) {
        // The other council's deliveries were decided and refused, none left pending.
        String others =
            "SELECT count(*) FILTER (WHERE d.status <> 'refused'), count(*)"
                + " FROM notification_delivery d JOIN subscription s ON s.id = d.subscription_id"
                + " WHERE s.client_id = 'other-notify'";
        await(
            () -> db.pool().query(others).execute().await().iterator().next().getLong(0) == 0,
            Duration.ofSeconds(30));
        var rows = db.pool().query(others).execute().await().iterator().next();
        assertThat(rows.getLong(1)).isGreaterThanOrEqualTo(acknowledged.size());
      }
    }
  }

  /** Polls until the condition holds, failing at the deadline. */
  static void await(BooleanSupplier done, Duration within) throws InterruptedException {
    long until = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("not settled within " + within);
      }
      Thread.sleep(100);
    }
  }
}
