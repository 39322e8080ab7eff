package org.placeshare.ops;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * The load client of {@code ops/bench/load.sh} (a benchmark, never run by the build): drives a plan
 * of views, each one or more GETs, with a fixed number of views in flight, and reports views per
 * second and the latency of a whole view.
 *
 * <p>One tool for both sides of the ratio the harness reports, so that the client's own cost is the
 * same kind on each: a view through the gateway is one GET with its tokens; the same view made
 * directly is the upstream requests the gateway made for it (captured by the harness), in the
 * gateway's order: per source the first request (the Patient search) before the others, which go in
 * parallel, and the sources in parallel. wrk cannot do the direct side: it reaches one host, and
 * the seven requests go to three servers and depend on each other. Bodies are read whole and not
 * parsed (the least any client does).
 *
 * <ul>
 *   <li>{@code views FOLDER GATEWAY OUT}: writes a plan of person views through the gateway, one
 *       per demo person and client ({@link #MIX_CLIENTS}), with fresh access tokens (they last five
 *       minutes, so the harness writes a plan just before each run) and a GP-signed consent per
 *       person, made as the demo makes its own.
 *   <li>{@code run PLAN CONNECTIONS SECONDS WARMUP POOL ANSWERS [ENTRY]}: drives the plan (or one
 *       entry of it) for WARMUP then SECONDS, with POOL connections per server (shared out among
 *       the {@link #LANES}); ANSWERS are the statuses expected (200 through the gateway; 200,404
 *       directly, where a source answers 404 for a person it does not hold, as it answered the
 *       gateway). Exits 1 when an answer was unexpected or a request failed or passed its {@link
 *       #REQUEST_DEADLINE_MILLIS deadline}, after printing the figures, the first such answer and
 *       failure, and every request that passed its deadline.
 * </ul>
 *
 * A plan is tab-separated lines: the view's id ({@code client/nhsNumber}), a URL, then headers
 * ({@code Name: value}); the lines of one view are consecutive and share its id.
 */
final class ViewLoadBenchmark {

  /**
   * The clients of the mix, each with the purpose it asks under and whether it shows a consent.
   * Council intelligence is not among them: its agreement is a pilot capped at 200 views a day, so
   * under load it answers with refusals after the first 200.
   */
  static final List<MixClient> MIX_CLIENTS =
      List.of(
          new MixClient(DemoClient.FRAILTY_TEAM, "TREAT", true),
          new MixClient(DemoClient.COVENTRY_AE, "TREAT", true));

  /**
   * Longest a request may take, from asking for a connection to the last byte of its body; one that
   * takes longer is reset and counted as failed. Vert.x's own timeouts do not bound the body: in
   * 5.0.10 a request's idle timeout is cancelled when the response's head arrives, so a body whose
   * end never reaches its handler would wait for ever.
   */
  static final int REQUEST_DEADLINE_MILLIS = 10_000;

  /**
   * Requests a view makes one after another at most: per server the first (the Patient search),
   * then the rest at once. With {@link #REQUEST_DEADLINE_MILLIS} this bounds a view's time.
   */
  static final int REQUESTS_IN_TURN = 2;

  /** Time allowed past the deadlines for the loops to see the time is up and say so. */
  static final int LOOPS_END_SLACK_SECONDS = 5;

  /**
   * The client's lanes: each one event loop with its own HTTP client and pool, and its own share of
   * the loops. Why not one client on many event loops: Vert.x 5.0.10 (its issue 6038, fixed in
   * 5.0.12) loses a response's end that arrives before {@code body()} has set its handler when the
   * two run on different threads, and one pool shared by requests from several event loops hands
   * connections across them; the request, and its view, then never end (seen in 1 of 48 runs). In a
   * lane the requests are made, their connections live and their answers are read on one thread, as
   * the gateway does for each source ({@code SourceFetch}). One lane per core; both sides of the
   * ratio are made by the same lanes.
   */
  static final int LANES = Math.max(1, Runtime.getRuntime().availableProcessors());

  record MixClient(DemoClient client, String purpose, boolean consent) {}

  record Request(String url, List<String> headers) {}

  /** One event loop, its one context, and an HTTP client used only from that context. */
  record Lane(Vertx vertx, Context context, HttpClientAgent client) {

    static Lane open(int pool) {
      Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
      return new Lane(
          vertx,
          vertx.getOrCreateContext(),
          vertx.createHttpClient(
              new HttpClientOptions().setMaxHeaderSize(16 * 1024),
              new PoolOptions().setHttp1MaxSize(Math.max(1, pool))));
    }
  }

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "views" -> views(Path.of(args[1]), args[2], Path.of(args[3]));
      case "run" -> {
        int status;
        try {
          status =
              run(
                  Path.of(args[1]),
                  Integer.parseInt(args[2]),
                  Integer.parseInt(args[3]),
                  Integer.parseInt(args[4]),
                  Integer.parseInt(args[5]),
                  Set.of(args[6].split(",")),
                  args.length > 7 ? args[7] : null);
        } catch (Exception | Error e) {
          // Exit, not just end main: the lanes' event loops would keep the JVM, and the harness
          // waiting on it, alive for ever.
          e.printStackTrace();
          status = 2;
        }
        System.exit(status);
      }
      default -> {
        System.err.println(
            "usage: views FOLDER GATEWAY OUT"
                + " | run PLAN CONNECTIONS SECONDS WARMUP POOL ANSWERS [ENTRY]");
        System.exit(2);
      }
    }
  }

  private static void views(Path root, String gateway, Path out) throws Exception {
    DemoFolder folder = new DemoFolder(root);
    Clock clock = Clock.systemUTC();
    Instant now = clock.instant();
    SigningKey gp = SigningKey.readPrivatePem(folder.issuerKey(Demo.GP));
    List<String> lines = new ArrayList<>();
    for (MixClient mix : MIX_CLIENTS) {
      String token = TokenCommand.fetch(folder, gateway, mix.client(), mix.purpose(), clock);
      for (SyntheticPerson person : Demo.people()) {
        String line =
            mix.client().id
                + "/"
                + person.nhsNumber()
                + "\t"
                + gateway
                + "/fhir/Patient/"
                + person.nhsNumber()
                + "/$everything\tAuthorization: Bearer "
                + token;
        if (mix.consent()) {
          // The demo's own consent, one per person: recorded by the GP for the trust, TREAT.
          Consent consent =
              new Consent(
                  "bench-consent-" + UUID.randomUUID(),
                  OdsCode.of(Demo.GP),
                  person.nhsNumber(),
                  Set.of(OdsCode.of(Demo.ACUTE)),
                  Set.of(PurposeOfUse.TREAT),
                  Set.of(Consent.ALL_DATA),
                  ConsentMethod.VERBAL,
                  "gp.reception",
                  now,
                  now.plus(Duration.ofDays(30)));
          line += "\tX-Consent-Token: " + ConsentTokens.sign(gp, consent, now);
        }
        lines.add(line);
      }
    }
    Files.write(out, lines);
  }

  /** Returns 1 when any answer was not expected or failed: such a run measured something else. */
  private static int run(
      Path planFile,
      int connections,
      int seconds,
      int warmup,
      int pool,
      Set<String> answers,
      String only)
      throws Exception {
    Map<String, List<Request>> plan = new LinkedHashMap<>();
    for (String line : Files.readAllLines(planFile)) {
      String[] parts = line.split("\t");
      if (only == null || only.equals(parts[0])) {
        plan.computeIfAbsent(parts[0], k -> new ArrayList<>())
            .add(new Request(parts[1], List.of(parts).subList(2, parts.length)));
      }
    }
    if (plan.isEmpty()) {
      throw new IllegalArgumentException("no view " + (only == null ? "in the plan" : only));
    }
    List<List<Request>> views = new ArrayList<>(plan.values());
    List<Lane> lanes = new ArrayList<>();
    for (int i = 0; i < LANES; i++) {
      // POOL connections a server in all, shared out among the lanes.
      lanes.add(Lane.open(pool / LANES + (i < pool % LANES ? 1 : 0)));
    }
    Tally warm = drive(lanes, views, connections, warmup, answers);
    Tally measured = drive(lanes, views, connections, seconds, answers);
    for (Lane lane : lanes) {
      lane.vertx().close().await();
    }
    long requestsPerView = views.stream().mapToLong(List::size).sum() / views.size();
    System.out.printf(
        "%d views (%d distinct, about %d requests each) in %.1f s: %.1f views/s, %.0f requests/s;"
            + " view latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; answers %s, unexpected %d,"
            + " failed %d%n",
        measured.views.get(),
        views.size(),
        requestsPerView,
        measured.seconds,
        measured.views.get() / measured.seconds,
        measured.requests.get() / measured.seconds,
        measured.percentile(50),
        measured.percentile(99),
        measured.percentile(100),
        new TreeMap<>(measured.statuses),
        measured.unexpected.get(),
        measured.failed.get());
    // For the harness's CPU per view: every view this process made, warm-up included.
    System.out.println("views-all: " + (warm.views.get() + measured.views.get()));
    return measured.unexpected.get()
                + measured.failed.get()
                + warm.unexpected.get()
                + warm.failed.get()
            == 0
        ? 0
        : 1;
  }

  /** Counts of one timed phase. */
  static final class Tally {
    final AtomicLong views = new AtomicLong();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong unexpected = new AtomicLong();
    final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    final Set<String> answers;
    final AtomicLong failed = new AtomicLong();

    /** The requests not yet ended, by a key of each: its URL and where it stands. */
    final Map<Object, String> inFlight = new ConcurrentHashMap<>();

    final List<Long> nanos = new ArrayList<>();
    double seconds;

    Tally(Set<String> answers) {
      this.answers = answers;
    }

    /** Counts an answer; false for the first unexpected one. */
    boolean answered(int status) {
      requests.incrementAndGet();
      statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
      return answers.contains(Integer.toString(status)) || unexpected.getAndIncrement() > 0;
    }

    synchronized void view(long took) {
      views.incrementAndGet();
      nanos.add(took);
    }

    synchronized double percentile(int p) {
      if (nanos.isEmpty()) {
        return 0;
      }
      long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      int at = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, at)] / 1e6;
    }
  }

  /**
   * CONNECTIONS loops, each making one view after another until the time is up, dealt round the
   * lanes; a loop runs on its lane's context throughout.
   */
  private static Tally drive(
      List<Lane> lanes,
      List<List<Request>> views,
      int connections,
      int seconds,
      Set<String> answers)
      throws InterruptedException {
    Tally tally = new Tally(answers);
    AtomicLong next = new AtomicLong();
    long start = System.nanoTime();
    long end = start + Duration.ofSeconds(seconds).toNanos();
    CountDownLatch done = new CountDownLatch(connections);
    for (int i = 0; i < connections; i++) {
      Lane lane = lanes.get(i % lanes.size());
      lane.context().runOnContext(x -> loop(lane, views, next, end, tally, done));
    }
    // Every request ends by its deadline, and a view makes at most REQUESTS_IN_TURN one after
    // another, so every loop ends by then. If one does not, the harness itself is wrong: say what
    // is still waiting and stop, as the next run would share its lanes.
    long allowed =
        seconds
            + REQUESTS_IN_TURN * (long) REQUEST_DEADLINE_MILLIS / 1000
            + LOOPS_END_SLACK_SECONDS;
    if (!done.await(allowed, TimeUnit.SECONDS)) {
      System.err.println(
          done.getCount()
              + " of "
              + connections
              + " loops did not end within "
              + allowed
              + " s, past every request's deadline: a bug of the load client");
      tally.inFlight.values().stream()
          .limit(10)
          .forEach(url -> System.err.println("  still in flight: " + url));
      System.exit(1);
    }
    tally.seconds = (System.nanoTime() - start) / 1e9;
    return tally;
  }

  private static void loop(
      Lane lane,
      List<List<Request>> views,
      AtomicLong next,
      long end,
      Tally tally,
      CountDownLatch done) {
    if (System.nanoTime() >= end) {
      done.countDown();
      return;
    }
    List<Request> view = views.get((int) (next.getAndIncrement() % views.size()));
    long began = System.nanoTime();
    Future<Void> made;
    try {
      made = view(lane, view, tally);
    } catch (RuntimeException e) {
      // Thrown, not failed: without this the loop would stop here and never be counted done.
      if (tally.failed.getAndIncrement() == 0) {
        System.err.println("first failed view: " + view.get(0).url() + ": " + e);
      }
      made = Future.failedFuture(e);
    }
    made.onComplete(
        x -> {
          tally.view(System.nanoTime() - began);
          // On the context, not in this callback: a view that completed at once must not
          // recurse into the next one.
          lane.context().runOnContext(y -> loop(lane, views, next, end, tally, done));
        });
  }

  /** A view's requests as the gateway made them: per server the first, then the rest at once. */
  private static Future<Void> view(Lane lane, List<Request> view, Tally tally) {
    Map<String, List<Request>> byServer = new LinkedHashMap<>();
    for (Request r : view) {
      URI uri = URI.create(r.url());
      byServer.computeIfAbsent(uri.getHost() + ":" + uri.getPort(), k -> new ArrayList<>()).add(r);
    }
    List<Future<Void>> servers = new ArrayList<>();
    for (List<Request> requests : byServer.values()) {
      servers.add(
          get(lane, requests.get(0), tally)
              .compose(
                  first ->
                      Future.all(
                              requests.subList(1, requests.size()).stream()
                                  .map(r -> get(lane, r, tally))
                                  .toList())
                          .<Void>mapEmpty()));
    }
    Promise<Void> all = Promise.promise();
    Future.join(servers).onComplete(x -> all.complete());
    return all.future();
  }

  /**
   * One GET, its body read whole, within {@link #REQUEST_DEADLINE_MILLIS}; on the lane's context.
   * Completes either way: a request past its deadline is reset (closing its connection) and counted
   * as failed, with its URL and where it stood.
   */
  private static Future<Void> get(Lane lane, Request r, Tally tally) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(r.url())
            // Gives up the wait in the pool's queue, which the deadline alone would leave queued.
            .setConnectTimeout(REQUEST_DEADLINE_MILLIS);
    for (String header : r.headers()) {
      int colon = header.indexOf(": ");
      options.putHeader(header.substring(0, colon), header.substring(colon + 2));
    }
    Object key = new Object();
    tally.inFlight.put(key, r.url() + " [waiting for a connection]");
    Promise<Void> done = Promise.promise();
    HttpClientRequest[] sent = {null};
    long deadline =
        lane.vertx()
            .setTimer(
                REQUEST_DEADLINE_MILLIS,
                id -> {
                  // On the lane's one thread, as every completion of done: no race with them.
                  if (!done.future().isComplete()) {
                    System.err.println(
                        "no answer within "
                            + REQUEST_DEADLINE_MILLIS
                            + " ms: "
                            + tally.inFlight.get(key));
                    done.fail(new TimeoutException("no answer within the deadline"));
                    if (sent[0] != null) {
                      sent[0].reset();
                    }
                  }
                });
    lane.client()
        .request(options)
        .compose(
            request -> {
              sent[0] = request;
              tally.inFlight.put(key, r.url() + " [sent]");
              return request.send();
            })
        .compose(
            response -> {
              tally.inFlight.put(
                  key, r.url() + " [answered " + response.statusCode() + ", reading its body]");
              return response
                  .body()
                  .map(
                      (Buffer body) -> {
                        if (!tally.answered(response.statusCode())) {
                          // The first unexpected answer, to see what it was (synthetic data).
                          System.err.println(
                              "unexpected "
                                  + response.statusCode()
                                  + " from "
                                  + r.url()
                                  + ": "
                                  + body.toString().substring(0, Math.min(400, body.length())));
                        }
                        return (Void) null;
                      });
            })
        .onComplete(
            ended -> {
              lane.vertx().cancelTimer(deadline);
              if (ended.succeeded()) {
                done.tryComplete();
              } else {
                done.tryFail(ended.cause());
              }
            });
    return done.future()
        .onFailure(
            e -> {
              if (tally.failed.getAndIncrement() == 0) {
                System.err.println("first failed request: " + r.url() + ": " + e);
              }
            })
        .onComplete(x -> tally.inFlight.remove(key));
  }
}
