package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.gateway.notify.ChangeEvent;
import org.placeshare.gateway.notify.EventStore;
import org.placeshare.gateway.notify.Subscription;
import org.placeshare.gateway.notify.SubscriptionStore;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.storage.EmbeddedPostgres;
import org.placeshare.policy.EventKind;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import picocli.CommandLine;

/**
 * {@code placeshare notifications} against a real PostgreSQL, migrated by the gateway's own code,
 * with a subscription stored by {@code SubscriptionStore} and events kept by {@code EventStore},
 * whose outbox fans them out to deliveries; one delivery is then settled dead as the worker's last
 * failed try leaves it.
 */
class NotificationsCommandTest {

  static final NhsNumber ALICE = NhsNumber.parse("9990000018");
  static final NhsNumber BOB = NhsNumber.parse("9990000026");
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  static EmbeddedPostgres postgres;
  static Vertx vertx;
  static Database db;
  static UUID subscription = UUID.randomUUID();

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "notifications-" + System.nanoTime()));
    postgres = EmbeddedPostgres.start(dir.resolve("postgres"));
    vertx = Vertx.vertx();
    db = Database.open(vertx, postgres.url(), dir).await();
    for (NhsNumber person : List.of(ALICE, BOB)) {
      db.pool()
          .preparedQuery(
              "INSERT INTO care_relationship (nhs_number, organisation, kind, recorded_at)"
                  + " VALUES ($1, 'E08000026', 'social-care', now())")
          .execute(Tuple.of(person.toString()))
          .await();
    }
    new SubscriptionStore(db.pool())
        .add(
            new Subscription(
                subscription,
                "council-notify",
                OdsCode.of("E08000026"),
                PurposeOfUse.of("HOPERAT"),
                Set.of(EventKind.ADDRESS_CHANGED),
                Optional.empty(),
                URI.create("https://receiver.council.example/notifications"),
                Subscription.Status.ACTIVE,
                NOW))
        .await();
    EventStore events = new EventStore(db.pool(), new Metrics());
    events.keep(event("move-alice", ALICE), OdsCode.of("E08000026"), "council-events", NOW).await();
    events.keep(event("move-bob", BOB), OdsCode.of("E08000026"), "council-events", NOW).await();
    // Bob's delivery as the worker leaves it after its last failed try.
    db.pool()
        .preparedQuery(
            "UPDATE notification_delivery SET status = 'dead', attempts = 8,"
                + " last_error = 'receiver answered 503', updated_at = now() WHERE nhs_number = $1")
        .execute(Tuple.of(BOB.toString()))
        .await();
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close().await();
    }
    if (vertx != null) {
      vertx.close().await();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  private static ChangeEvent event(String id, NhsNumber person) {
    return ChangeEvent.parse(
        new JsonObject()
            .put("id", id)
            .put("kind", "address-changed")
            .put("nhsNumber", person.toString())
            .put("source", "council-asc")
            .put("occurredAt", NOW.minusSeconds(3600).toString())
            .put(
                "change",
                new JsonObject()
                    .put("postcode", "CV1 2AB")
                    .put("lines", new JsonArray().add("12 Spon Street"))),
        NOW);
  }

  record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Ops());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static String key(NhsNumber person) {
    return db.pool()
        .preparedQuery("SELECT idempotency_key FROM notification_delivery WHERE nhs_number = $1")
        .execute(Tuple.of(person.toString()))
        .await()
        .iterator()
        .next()
        .getString("idempotency_key");
  }

  @Test
  void notificationsDead_listsTheDeadLetter_withCounts_andNoNhsNumber() {
    Run r = run("notifications", "dead", "--database", postgres.url());

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("pending 1, dead 1, refused 0, delivered 0")
        .contains(key(BOB))
        .contains("receiver answered 503")
        .contains(subscription.toString())
        .doesNotContain(key(ALICE))
        .doesNotContain(BOB.toString())
        .doesNotContain(ALICE.toString());
  }

  @Test
  void notificationsPending_json_listsThePendingDelivery_andNamesThePersonOnlyWhenAsked() {
    Run plain = run("notifications", "pending", "--json", "--database", postgres.url());
    assertThat(plain.code()).as(plain.err()).isZero();
    JsonObject row = new JsonObject(plain.out().strip());
    assertThat(row.getString("idempotencyKey")).isEqualTo(key(ALICE));
    assertThat(row.getString("status")).isEqualTo("pending");
    assertThat(row.getString("event")).isEqualTo("move-alice");
    assertThat(row.containsKey("nhsNumber")).isFalse();
    assertThat(plain.out()).doesNotContain(ALICE.toString());

    Run asked =
        run(
            "notifications",
            "pending",
            "--json",
            "--show-nhs-numbers",
            "--database",
            postgres.url());
    assertThat(new JsonObject(asked.out().strip()).getString("nhsNumber"))
        .isEqualTo(ALICE.toString());
  }

  @Test
  void notificationsSubscriptions_listsTheSubscriptionWithItsEndpointHost() {
    Run r = run("notifications", "subscriptions", "--json", "--database", postgres.url());

    assertThat(r.code()).as(r.err()).isZero();
    JsonObject row = new JsonObject(r.out().strip());
    assertThat(row.getString("id")).isEqualTo(subscription.toString());
    assertThat(row.getString("client")).isEqualTo("council-notify");
    assertThat(row.getString("endpointHost")).isEqualTo("receiver.council.example");
    assertThat(row.getString("cohort")).isEqualTo("care-relationship");
    assertThat(row.getJsonArray("kinds").getList()).isEqualTo(List.of("address-changed"));
  }

  @Test
  void notifications_limitOutsideTheCap_isRefused() {
    Run r = run("notifications", "dead", "--limit", "100000", "--database", postgres.url());

    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("--limit: expected 1 to 500, got 100000");
  }
}
