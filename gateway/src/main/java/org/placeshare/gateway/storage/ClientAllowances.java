package org.placeshare.gateway.storage;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A per-client limit of requests a minute, shared by every instance on the database through {@code
 * client_rate}, whose row for a client and minute counts the requests the instances have claimed.
 * An instance claims a batch of requests at a time and spends it locally (a token bucket per
 * instance drawing on the shared budget), so under load a client's requests do not each wait on
 * that one row's lock (issue 22). A claim is granted only what is left of the limit, so the
 * instances together never admit more than the limit in a minute; an instance's unspent batch is
 * lost to the others, so they admit at least the limit less {@code (instances - 1) * (batch - 1)}.
 * A limit of fewer than {@link #BATCHES_A_LIMIT} times two is claimed one request at a time, exact
 * as a single counter. Old minutes are swept now and then as claims go by.
 */
public final class ClientAllowances {

  /** A limit is claimed in at least this many batches: the batch is a fiftieth of it. */
  static final int BATCHES_A_LIMIT = 50;

  /** The most requests one claim takes, whatever the limit. */
  static final int MAX_BATCH = 50;

  /**
   * Claims {@code $3} more of the minute; the answer is the minute's claims with this one, so what
   * the limit still left of it is known without a second read.
   */
  private static final String CLAIM =
      "INSERT INTO client_rate (client_id, window_start, requests) VALUES ($1, $2, $3)"
          + " ON CONFLICT (client_id, window_start) DO UPDATE SET requests ="
          + " client_rate.requests + $3 RETURNING requests";

  private static final String SWEEP = "DELETE FROM client_rate WHERE window_start < $1";
  private static final int SWEEP_EVERY = 1000;

  private final Pool pool;
  private final int limit;
  private final int batch;
  private final Map<Key, Allowance> allowances = new ConcurrentHashMap<>();
  private final AtomicInteger claims = new AtomicInteger();

  public ClientAllowances(Pool pool, int limit) {
    this.pool = pool;
    this.limit = limit;
    this.batch = batch(limit);
  }

  /** The requests one claim takes for this limit. */
  static int batch(int limit) {
    return Math.max(1, Math.min(MAX_BATCH, limit / BATCHES_A_LIMIT));
  }

  private record Key(String client, Instant window) {}

  /** This instance's part of one client's minute; guarded by itself. */
  private static final class Allowance {
    int left;
    boolean spent;
    boolean claiming;
    final List<Waiting> waiting = new ArrayList<>();
  }

  private record Waiting(Promise<Boolean> answer, Context context) {}

  /**
   * Whether one more request of {@code client} in the minute starting at {@code window} is within
   * the limit. Answered on the caller's context; fails when the shared count cannot be reached.
   */
  public Future<Boolean> take(String client, Instant window) {
    Key key = new Key(client, window);
    Allowance a = allowances.get(key);
    if (a == null) {
      // A new minute: the past ones' allowances are of no more use here.
      allowances.keySet().removeIf(k -> k.window().isBefore(window));
      a = allowances.computeIfAbsent(key, k -> new Allowance());
    }
    Promise<Boolean> answer = Promise.promise();
    boolean claim = false;
    synchronized (a) {
      if (a.left > 0) {
        a.left--;
        return Future.succeededFuture(true);
      }
      if (a.spent) {
        return Future.succeededFuture(false);
      }
      a.waiting.add(new Waiting(answer, Vertx.currentContext()));
      if (!a.claiming) {
        a.claiming = true;
        claim = true;
      }
    }
    if (claim) {
      claim(key, a);
    }
    return answer.future();
  }

  /** Claims a batch for the requests waiting, and more while some still wait. */
  private void claim(Key key, Allowance a) {
    if (claims.incrementAndGet() % SWEEP_EVERY == 0) {
      pool.preparedQuery(SWEEP)
          .execute(Tuple.of(key.window().minusSeconds(3600).atOffset(ZoneOffset.UTC)));
    }
    pool.preparedQuery(CLAIM)
        .execute(Tuple.of(key.client(), key.window().atOffset(ZoneOffset.UTC), batch))
        .map(rows -> rows.iterator().next().getInteger(0))
        .onComplete(
            claimed -> {
              List<Waiting> answered = new ArrayList<>();
              List<Boolean> answers = new ArrayList<>();
              boolean again;
              synchronized (a) {
                if (claimed.succeeded()) {
                  int before = claimed.result() - batch;
                  int granted = Math.max(0, Math.min(batch, limit - before));
                  a.left += granted;
                  // Less than a batch granted: the limit is spent for the minute, fleet-wide.
                  a.spent = granted < batch;
                }
                while (!a.waiting.isEmpty() && (claimed.failed() || a.left > 0 || a.spent)) {
                  Waiting w = a.waiting.remove(0);
                  answered.add(w);
                  boolean within = claimed.succeeded() && a.left > 0;
                  if (within) {
                    a.left--;
                  }
                  answers.add(within);
                }
                again = !a.waiting.isEmpty();
                a.claiming = again;
              }
              for (int i = 0; i < answered.size(); i++) {
                answer(answered.get(i), claimed.failed() ? null : answers.get(i), claimed.cause());
              }
              if (again) {
                claim(key, a);
              }
            });
  }

  private static void answer(Waiting w, Boolean within, Throwable failure) {
    Runnable done =
        () -> {
          if (within == null) {
            w.answer().fail(failure);
          } else {
            w.answer().complete(within);
          }
        };
    if (w.context() == null) {
      done.run();
    } else {
      w.context().runOnContext(v -> done.run());
    }
  }
}
