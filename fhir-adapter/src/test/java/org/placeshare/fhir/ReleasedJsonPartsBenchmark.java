package org.placeshare.fhir;

import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.fhir.bench.PersonViewBenchmark;
import org.placeshare.fhir.bench.ThreadCpu;

/**
 * {@link ReleasedJson}'s encode of the view of {@code PersonViewBenchmark} in its parts, each in a
 * fork of its own: HAPI's encoder as the gateway used it before ({@link #hapiEncode}), the same
 * without its search for resources to contain ({@link #noContainEncode}), and the check that makes
 * skipping that search safe ({@link #guard}, {@link LinkedTargets}, the gateway's guard until every
 * released reference's link was cleared; ReleasedJson is now the second alone). Here, in the
 * package, as the check is not public; run like the other benchmarks of the module ({@code
 * BENCH=ReleasedJsonPartsBenchmark bash ops/bench/person-view.sh -prof gc}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 15, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class ReleasedJsonPartsBenchmark {

  Bundle view;

  @Setup
  public void setUp() {
    PersonViewBenchmark b = new PersonViewBenchmark();
    b.setUp();
    view = b.assemble();
  }

  @Benchmark
  public boolean guard(ThreadCpu cpu) {
    cpu.op();
    return LinkedTargets.nothingToContain(view);
  }

  @Benchmark
  public String noContainEncode(ThreadCpu cpu) {
    cpu.op();
    return ReleasedJson.encode(view);
  }

  @Benchmark
  public String hapiEncode(ThreadCpu cpu) {
    cpu.op();
    return Fhir.encode(view);
  }
}
