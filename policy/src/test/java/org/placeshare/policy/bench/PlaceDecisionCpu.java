package org.placeshare.policy.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntSupplier;
import org.placeshare.policy.Decision;

/**
 * The cases of {@link PlaceDecisionBenchmark}, timed in the deciding thread's CPU time rather than
 * wall-clock time: on a machine shared with other builds, a thread that waits for a core is not
 * charged for the wait, so the figure moves less with the load. Each case is warmed up, then timed
 * in seven rounds of at least 0.5 s of CPU; the median and the spread of the rounds are printed.
 * The cases named {@code ...Reasons} also read the decision's reasons, as the gateway does.
 *
 * <p>Run with {@code ops/bench/policy-decisions.sh --cpu [sizes]}, e.g. {@code --cpu 10000 100000}.
 */
public final class PlaceDecisionCpu {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) {
    List<String> sizes = args.length == 0 ? List.of("1000", "10000", "100000") : List.of(args);
    System.out.printf(
        "%-10s %-14s %12s %12s %12s%n", "agreements", "case", "median ns", "min", "max");
    for (String size : sizes) {
      PlaceDecisionBenchmark b = new PlaceDecisionBenchmark();
      b.agreements = Integer.parseInt(size);
      b.load();
      time(size, "mixed", () -> decided(b.mixed()));
      time(size, "typicalPermit", () -> decided(b.typicalPermit()));
      time(size, "typicalDeny", () -> decided(b.typicalDeny()));
      time(size, "hubPermit", () -> decided(b.hubPermit()));
      time(size, "hubDeny", () -> decided(b.hubDeny()));
      time(size, "mixedReasons", () -> b.mixedReasons().size());
      time(size, "hubDenyReasons", () -> b.hubDenyReasons().size());
    }
  }

  /** Uses the decision without reading its reasons, which a decision may write only when read. */
  private static int decided(Decision d) {
    return d.effect().ordinal() + d.considered().size() + d.refusals().size();
  }

  private static void time(String size, String name, IntSupplier decide) {
    long sink = 0;
    // Warm-up: long enough for the JIT to compile the decision path.
    long warmUntil = THREADS.getCurrentThreadCpuTime() + 2_000_000_000L;
    while (THREADS.getCurrentThreadCpuTime() < warmUntil) {
      for (int i = 0; i < 1_000; i++) {
        sink += decide.getAsInt();
      }
    }
    double[] rounds = new double[7];
    for (int r = 0; r < rounds.length; r++) {
      long start = THREADS.getCurrentThreadCpuTime();
      long calls = 0;
      long now;
      do {
        for (int i = 0; i < 1_000; i++) {
          sink += decide.getAsInt();
        }
        calls += 1_000;
        now = THREADS.getCurrentThreadCpuTime();
      } while (now - start < 500_000_000L);
      rounds[r] = (double) (now - start) / calls;
    }
    Arrays.sort(rounds);
    System.out.printf(
        "%-10s %-14s %12.0f %12.0f %12.0f%s%n",
        size, name, rounds[3], rounds[0], rounds[6], sink == 42 ? " " : "");
  }
}
