package org.placeshare.ops;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
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
 *       entry of it) for WARMUP then SECONDS, with POOL connections per server; ANSWERS are the
 *       statuses expected (200 through the gateway; 200,404 directly, where a source answers 404
 *       for a person it does not hold, as it answered the gateway).
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

  /** Longest wait for a connection or for the next bytes of an answer. */
  static final int REQUEST_TIMEOUT_MILLIS = 10_000;

  record MixClient(DemoClient client, String purpose, boolean consent) {}

  record Request(String url, List<String> headers) {}

  public static void main(String[] args) throws Exception {
    switch (args.length == 0 ? "" : args[0]) {
      case "views" -> views(Path.of(args[1]), args[2], Path.of(args[3]));
      case "run" ->
          System.exit(
              run(
                  Path.of(args[1]),
                  Integer.parseInt(args[2]),
                  Integer.parseInt(args[3]),
                  Integer.parseInt(args[4]),
                  Integer.parseInt(args[5]),
                  Set.of(args[6].split(",")),
                  args.length > 7 ? args[7] : null));
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
    Vertx vertx = Vertx.vertx();
    HttpClientAgent client =
        vertx.createHttpClient(
            new HttpClientOptions().setMaxHeaderSize(16 * 1024),
            new PoolOptions().setHttp1MaxSize(pool));
    Tally warm = drive(vertx, client, views, connections, warmup, answers);
    Tally measured = drive(vertx, client, views, connections, seconds, answers);
    vertx.close().await();
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

    /** The requests sent and not yet answered or failed, by a key of each. */
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

  /** CONNECTIONS loops, each making one view after another until the time is up. */
  private static Tally drive(
      Vertx vertx,
      HttpClientAgent client,
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
      loop(vertx, client, views, next, end, tally, done);
    }
    // Every request has a timeout, so the loops end soon after the time is up; if not, say so.
    if (!done.await(seconds + 3L * REQUEST_TIMEOUT_MILLIS / 1000, TimeUnit.SECONDS)) {
      System.err.println(done.getCount() + " of " + connections + " loops never ended: a bug");
      // What is still waiting, to find which request outlived its timeouts (synthetic people).
      tally.inFlight.values().stream()
          .limit(5)
          .forEach(url -> System.err.println("  still in flight: " + url));
      System.exit(1);
    }
    tally.seconds = (System.nanoTime() - start) / 1e9;
    return tally;
  }

  private static void loop(
      Vertx vertx,
      HttpClientAgent client,
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
      made = view(client, view, tally);
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
          vertx.runOnContext(y -> loop(vertx, client, views, next, end, tally, done));
        });
  }

  /** A view's requests as the gateway made them: per server the first, then the rest at once. */
  private static Future<Void> view(HttpClientAgent client, List<Request> view, Tally tally) {
    Map<String, List<Request>> byServer = new LinkedHashMap<>();
    for (Request r : view) {
      URI uri = URI.create(r.url());
      byServer.computeIfAbsent(uri.getHost() + ":" + uri.getPort(), k -> new ArrayList<>()).add(r);
    }
    List<Future<Void>> servers = new ArrayList<>();
    for (List<Request> requests : byServer.values()) {
      servers.add(
          get(client, requests.get(0), tally)
              .compose(
                  first ->
                      Future.all(
                              requests.subList(1, requests.size()).stream()
                                  .map(r -> get(client, r, tally))
                                  .toList())
                          .<Void>mapEmpty()));
    }
    Promise<Void> all = Promise.promise();
    Future.join(servers).onComplete(x -> all.complete());
    return all.future();
  }

  private static Future<Void> get(HttpClientAgent client, Request r, Tally tally) {
    // A request that never ends fails (and fails the run) instead of holding it up for ever.
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setAbsoluteURI(r.url())
            .setConnectTimeout(REQUEST_TIMEOUT_MILLIS)
            .setIdleTimeout(REQUEST_TIMEOUT_MILLIS);
    for (String header : r.headers()) {
      int colon = header.indexOf(": ");
      options.putHeader(header.substring(0, colon), header.substring(colon + 2));
    }
    Object key = new Object();
    tally.inFlight.put(key, r.url() + " [waiting for a connection]");
    return client
        .request(options)
        .compose(
            request -> {
              tally.inFlight.put(
                  key, r.url() + " [sent on " + Thread.currentThread().getName() + "]");
              return request.send();
            })
        .compose(
            response -> {
              tally.inFlight.put(
                  key,
                  r.url()
                      + " [answered "
                      + response.statusCode()
                      + ", body asked for on "
                      + Thread.currentThread().getName()
                      + "]");
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
        .onFailure(
            e -> {
              if (tally.failed.getAndIncrement() == 0) {
                System.err.println("first failed request: " + r.url() + ": " + e);
              }
            })
        .onComplete(x -> tally.inFlight.remove(key));
  }
}
