package org.placeshare.ops;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.placeshare.gateway.notify.DeliveryLedger;
import org.placeshare.gateway.notify.Subscription;
import org.placeshare.policy.EventKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The outbox for an operator, read from the gateway's database (as {@code audit verify --database}
 * does): subscriptions, and pending or dead-lettered deliveries with their counts. NHS numbers are
 * printed only when asked with {@code --show-nhs-numbers}: an operator looking at a backlog needs
 * keys, kinds, tries and errors, not people. Read only: a dead delivery is not put back from here.
 */
@Command(
    name = "notifications",
    mixinStandardHelpOptions = true,
    description = "Subscriptions and notification deliveries (reads the gateway's database).",
    subcommands = {
      NotificationsCommand.Subscriptions.class,
      NotificationsCommand.Pending.class,
      NotificationsCommand.Dead.class
    })
final class NotificationsCommand {

  /** Where the database is, how much to list, and how. */
  static final class Options {
    @Option(
        names = "--database",
        required = true,
        description = "a postgresql:// URL of the gateway's database")
    String database;

    @Option(
        names = "--limit",
        defaultValue = "100",
        description = "most rows listed, at most " + DeliveryLedger.MAX_LIMIT + " (default 100)")
    int limit;

    @Option(names = "--json", description = "one JSON object per line instead of a table")
    boolean json;

    /** The limit asked for, refused outside 1 to {@link DeliveryLedger#MAX_LIMIT}. */
    int limit() {
      if (limit < 1 || limit > DeliveryLedger.MAX_LIMIT) {
        throw new IllegalArgumentException(
            "--limit: expected 1 to " + DeliveryLedger.MAX_LIMIT + ", got " + limit);
      }
      return limit;
    }
  }

  @Command(
      name = "subscriptions",
      mixinStandardHelpOptions = true,
      description = "The subscriptions, newest first.")
  static final class Subscriptions implements Callable<Integer> {
    @Mixin Options options;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      List<Subscription> found = read(options.database, l -> l.subscriptions(options.limit()));
      PrintWriter out = spec.commandLine().getOut();
      if (!options.json) {
        out.printf(
            "%-36s  %-20s  %-10s  %-8s  %-40s  %-44s  %-30s  %s%n",
            "SUBSCRIPTION",
            "CLIENT",
            "ORG",
            "STATUS",
            "KINDS",
            "COHORT",
            "ENDPOINT HOST",
            "CREATED");
      }
      for (Subscription s : found) {
        String kinds =
            s.kinds().stream().map(EventKind::code).sorted().collect(Collectors.joining(","));
        String cohort = s.cohort().map(c -> "Group/" + c).orElse("care-relationship");
        if (options.json) {
          out.println(
              new JsonObject()
                  .put("id", s.id().toString())
                  .put("client", s.clientId())
                  .put("organisation", s.organisation().toString())
                  .put("purpose", s.purpose().code())
                  .put("status", s.status().code())
                  .put("kinds", new JsonArray(List.of(kinds.split(","))))
                  .put("cohort", cohort)
                  .put("endpointHost", s.endpoint().getHost())
                  .put("created", s.created().toString())
                  .encode());
        } else {
          out.printf(
              "%-36s  %-20s  %-10s  %-8s  %-40s  %-44s  %-30s  %s%n",
              s.id(),
              s.clientId(),
              s.organisation(),
              s.status().code(),
              kinds,
              cohort,
              s.endpoint().getHost(),
              s.created());
        }
      }
      out.flush();
      return 0;
    }
  }

  /** Lists the deliveries in one status, with the counts of all. */
  abstract static class Listing implements Callable<Integer> {
    @Mixin Options options;

    @Option(
        names = "--show-nhs-numbers",
        description = "print each delivery's person (personal data: only when the task needs it)")
    boolean showNhsNumbers;

    @Spec CommandSpec spec;

    abstract String status();

    @Override
    public Integer call() {
      record Read(Map<String, Long> counts, List<DeliveryLedger.Delivery> rows) {}
      Read read =
          read(
              options.database,
              l ->
                  l.counts()
                      .compose(
                          counts ->
                              l.deliveries(status(), options.limit())
                                  .map(rows -> new Read(counts, rows))));
      PrintWriter out = spec.commandLine().getOut();
      if (!options.json) {
        out.println(
            read.counts().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ")));
        out.printf(
            "%-50s  %-20s  %-24s  %-36s  %-5s  %-28s  %-27s%s%n",
            "IDEMPOTENCY KEY",
            "KIND",
            "EVENT",
            "SUBSCRIPTION",
            "TRIES",
            "LAST ERROR",
            status().equals("pending") ? "NEXT TRY" : "SINCE",
            showNhsNumbers ? "  NHS NUMBER" : "");
      }
      for (DeliveryLedger.Delivery d : read.rows()) {
        String when = (status().equals("pending") ? d.nextAttemptAt() : d.updated()).toString();
        if (options.json) {
          JsonObject row =
              new JsonObject()
                  .put("idempotencyKey", d.idempotencyKey())
                  .put("status", d.status())
                  .put("kind", d.kind().code())
                  .put("event", d.eventId())
                  .put("source", d.source())
                  .put("subscription", d.subscription().toString())
                  .put("client", d.clientId())
                  .put("organisation", d.subscriber().toString())
                  .put("tries", d.attempts())
                  .put("lastError", d.lastError().orElse(null))
                  .put("nextTry", d.nextAttemptAt().toString())
                  .put("updated", d.updated().toString());
          if (showNhsNumbers) {
            row.put("nhsNumber", d.person().toString());
          }
          out.println(row.encode());
        } else {
          out.printf(
              "%-50s  %-20s  %-24s  %-36s  %-5d  %-28s  %-27s%s%n",
              d.idempotencyKey(),
              d.kind().code(),
              d.eventId(),
              d.subscription(),
              d.attempts(),
              d.lastError().orElse("-"),
              when,
              showNhsNumbers ? "  " + d.person() : "");
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "pending",
      mixinStandardHelpOptions = true,
      description = "Deliveries waiting to be sent or tried again, next due first.")
  static final class Pending extends Listing {
    @Override
    String status() {
      return "pending";
    }
  }

  @Command(
      name = "dead",
      mixinStandardHelpOptions = true,
      description = "Dead-lettered deliveries (given up after their last try), latest first.")
  static final class Dead extends Listing {
    @Override
    String status() {
      return "dead";
    }
  }

  private static <T> T read(String url, Function<DeliveryLedger, Future<T>> query) {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
      try {
        return query.apply(new DeliveryLedger(pool)).await();
      } finally {
        pool.close().await();
      }
    } finally {
      vertx.close().await();
    }
  }
}
