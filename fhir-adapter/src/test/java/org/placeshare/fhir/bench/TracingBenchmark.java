package org.placeshare.fhir.bench;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
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
 * <p>Arguments: people (default 10000), seed (default 17), traces in flight (default 16), records
 * traced (default all; fewer takes an evenly spaced sample, so a large index is measured in
 * minutes, not hours).
 *
 * <p>Besides throughput it prints where the CPU went, from per-thread CPU time: the index's side
 * (Jetty's threads: search and HAPI's JSON), the gateway's side (Vert.x's threads: HTTP client,
 * parse, scoring) and the JVM's own (GC, JIT: the process's CPU less its Java threads'); and the
 * bytes the gateway's side allocated per trace. A real PDS is a remote service: the gateway's own
 * CPU per trace is the figure the gateway owns.
 */
public final class TracingBenchmark {

  private TracingBenchmark() {}

  public static void main(String[] args) throws Exception {
    int people = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 17L;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    TracingPopulation population = TracingPopulation.generate(people, seed);
    int all = population.agencyRecords().size();
    int traced = args.length > 3 ? Math.min(all, Integer.parseInt(args[3])) : all;
    List<AgencyRecord> records = sample(population.agencyRecords(), traced);
    Vertx vertx = Vertx.vertx();
    long started0 = System.nanoTime();
    try (ReferenceIndexServer index = ReferenceIndexServer.start(0, population.index())) {
      System.out.printf(
          "index of %d people started in %.1f s; heap in use %d MB (after GC; population"
              + " and agency records included), max %d MB%n",
          people,
          (System.nanoTime() - started0) / 1e9,
          heapInUse() >> 20,
          Runtime.getRuntime().maxMemory() >> 20);
      FhirReferenceIndex client =
          new FhirReferenceIndex(vertx, index.baseUrl(), Duration.ofSeconds(30), SourceAccess.NONE);
      // Warm-up: the JIT and the connection pool, on a slice not counted.
      run(client, records.subList(0, Math.min(500, records.size())), inFlight);
      CpuSplit before = CpuSplit.now();
      long started = System.nanoTime();
      List<Trace> traces = run(client, records, inFlight);
      double seconds = (System.nanoTime() - started) / 1e9;
      CpuSplit spent = CpuSplit.now().minus(before);
      report(people, seed, records, traces, seconds, inFlight, client.refused());
      spent.print(records.size(), seconds);
      client.close().await();
    } finally {
      vertx.close().await();
    }
  }

  /** Every k-th record, so that a sample has the population's mix (outsiders come last). */
  private static List<AgencyRecord> sample(List<AgencyRecord> all, int count) {
    if (count >= all.size()) {
      return all;
    }
    List<AgencyRecord> sample = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      sample.add(all.get((int) ((long) i * all.size() / count)));
    }
    return sample;
  }

  private static long heapInUse() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /**
   * CPU time by side, from per-thread CPU: Jetty's threads serve the index, Vert.x's are the
   * gateway's client (event loop: HTTP; workers: parse and scoring); the JVM's own threads (GC,
   * JIT) are the process's CPU less every Java thread's.
   */
  private record CpuSplit(
      long indexNanos,
      long gatewayNanos,
      long otherJavaNanos,
      long processNanos,
      long gatewayBytes) {

    static CpuSplit now() {
      ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
      long index = 0;
      long gateway = 0;
      long other = 0;
      long bytes = 0;
      for (long id : threads.getAllThreadIds()) {
        var info = threads.getThreadInfo(id);
        long cpu = threads.getThreadCpuTime(id);
        if (info == null || cpu < 0) {
          continue;
        }
        String name = info.getThreadName();
        if (name.startsWith("qtp")) {
          index += cpu;
        } else if (name.startsWith("vert.x-")) {
          gateway += cpu;
          bytes += threads.getThreadAllocatedBytes(id);
        } else {
          other += cpu;
        }
      }
      long process =
          ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
              .getProcessCpuTime();
      return new CpuSplit(index, gateway, other, process, bytes);
    }

    CpuSplit minus(CpuSplit start) {
      return new CpuSplit(
          indexNanos - start.indexNanos,
          gatewayNanos - start.gatewayNanos,
          otherJavaNanos - start.otherJavaNanos,
          processNanos - start.processNanos,
          gatewayBytes - start.gatewayBytes);
    }

    void print(int traces, double seconds) {
      long jvm = processNanos - indexNanos - gatewayNanos - otherJavaNanos;
      System.out.printf(
          "CPU %.1f s of %.1f s wall (%.2f cores): index side (Jetty) %.1f%%, gateway side"
              + " (Vert.x) %.1f%%, JVM (GC, JIT) %.1f%%, other threads %.1f%%%n",
          processNanos / 1e9,
          seconds,
          processNanos / 1e9 / seconds,
          100.0 * indexNanos / processNanos,
          100.0 * gatewayNanos / processNanos,
          100.0 * jvm / processNanos,
          100.0 * otherJavaNanos / processNanos);
      System.out.printf(
          "per trace: index side %.3f ms CPU, gateway side %.3f ms CPU and %.1f KB allocated%n",
          indexNanos / 1e6 / traces, gatewayNanos / 1e6 / traces, gatewayBytes / 1024.0 / traces);
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
