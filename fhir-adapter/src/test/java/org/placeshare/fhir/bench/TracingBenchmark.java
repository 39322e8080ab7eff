package org.placeshare.fhir.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.index.FhirReferenceIndex;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.Trace;
import org.placeshare.fhir.synthetic.ReferenceIndexServer;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.AgencyRecord;
import org.placeshare.policy.NhsNumber;

/**
 * Traces every agency record of a seeded population through the reference index over HTTP (the
 * synthetic index in Jetty, {@link FhirReferenceIndex} on Vert.x), and prints precision of certain
 * links, recall and traces per second. A harness, not a unit test: run it with ops/bench/tracing.sh
 * and record the figures in docs/benchmarks.md with the machine.
 *
 * <p>Arguments: people (default 10000), seed (default 17), traces in flight (default 16).
 */
public final class TracingBenchmark {

  private TracingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int people = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 17L;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    TracingPopulation population = TracingPopulation.generate(people, seed);
    List<AgencyRecord> records = population.agencyRecords();
    Vertx vertx = Vertx.vertx();
    try (ReferenceIndexServer index = ReferenceIndexServer.start(0, population.index())) {
      FhirReferenceIndex client =
          new FhirReferenceIndex(vertx, index.baseUrl(), Duration.ofSeconds(30), SourceAccess.NONE);
      // Warm-up: the JIT and the connection pool, on a slice not counted.
      run(client, records.subList(0, Math.min(500, records.size())), inFlight);
      long started = System.nanoTime();
      List<Trace> traces = run(client, records, inFlight);
      double seconds = (System.nanoTime() - started) / 1e9;
      report(people, seed, records, traces, seconds, inFlight, client.refused());
      client.close().await();
    } finally {
      vertx.close().await();
    }
  }

  private static List<Trace> run(
      FhirReferenceIndex client, List<AgencyRecord> records, int inFlight) throws Exception {
    Trace[] traces = new Trace[records.size()];
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < inFlight; w++) {
      workers.add(worker(client, records, traces, next));
    }
    Future.all(workers).await();
    return List.of(traces);
  }

  /** Traces records one after another until none are left; several run at once. */
  private static Future<Void> worker(
      FhirReferenceIndex client, List<AgencyRecord> records, Trace[] traces, AtomicInteger next) {
    int i = next.getAndIncrement();
    if (i >= records.size()) {
      return Future.succeededFuture();
    }
    return client
        .trace(demographics(records.get(i)))
        .map(
            t -> {
              traces[i] = t;
              return (Void) null;
            })
        .compose(v -> worker(client, records, traces, next));
  }

  private static void report(
      int people,
      long seed,
      List<AgencyRecord> records,
      List<Trace> traces,
      double seconds,
      int inFlight,
      long refused) {
    int certain = 0;
    int correct = 0;
    int inIndex = 0;
    int found = 0;
    int bestIsTruth = 0;
    for (int i = 0; i < records.size(); i++) {
      AgencyRecord record = records.get(i);
      Trace trace = traces.get(i);
      Optional<NhsNumber> linked = trace.certainLink().map(IndexEntry::nhsNumber);
      if (linked.isPresent()) {
        certain++;
        if (linked.equals(record.trueNhsNumber())) {
          correct++;
        }
      }
      if (record.trueNhsNumber().isPresent()) {
        inIndex++;
        if (linked.equals(record.trueNhsNumber())) {
          found++;
        }
        if (trace.best().map(IndexEntry::nhsNumber).equals(record.trueNhsNumber())) {
          bestIsTruth++;
        }
      }
    }
    System.out.printf(
        "tracing %d people (seed %d): %d agency records, %d of them in the index%n",
        people, seed, records.size(), inIndex);
    System.out.printf(
        "certain links %d, correct %d: precision %.4f%n",
        certain, correct, certain == 0 ? 0.0 : (double) correct / certain);
    System.out.printf(
        "recall of certain links %d/%d = %.4f; true person among the candidates, ranked first: %d/%d"
            + " = %.4f%n",
        found,
        inIndex,
        (double) found / inIndex,
        bestIsTruth,
        inIndex,
        (double) bestIsTruth / inIndex);
    System.out.printf(
        "%.1f traces a second (%d in flight, %.1f s); index Patients refused: %d%n",
        records.size() / seconds, inFlight, seconds, refused);
  }

  private static Demographics demographics(AgencyRecord r) {
    return new Demographics(
        r.family(),
        r.given(),
        List.of(),
        r.birthDate(),
        r.gender(),
        r.postcode(),
        List.of(),
        r.addressLine(),
        Optional.empty());
  }
}
