package org.placeshare.policy.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The cases of {@link AgreementLoadBenchmark}, each timed as wall-clock time and as the CPU time of
 * the whole process (every thread that reads, verifies and parses, and the collector's): on a
 * machine shared with other builds the wall-clock time is mostly waiting for a core, while the CPU
 * time is what a load costs. One warm-up call, then three timed ones.
 *
 * <p>Run with {@code ops/bench/policy-load.sh --cpu [files [cases]]}, e.g. {@code --cpu 10000} or
 * {@code --cpu 10000 load,reloadUnchanged}.
 */
public final class AgreementLoadCpu {

  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  public static void main(String[] args) throws Exception {
    AgreementLoadBenchmark b = new AgreementLoadBenchmark();
    b.files = args.length == 0 ? 10_000 : Integer.parseInt(args[0]);
    b.write();
    try {
      System.out.printf(
          "%-8s %-18s %10s %10s %10s%n", "files", "case", "wall ms", "cpu ms", "cpu ms/file");
      List<String> cases =
          List.of((args.length < 2 ? "load,reloadUnchanged,reloadOneChanged" : args[1]).split(","));
      for (String c : cases) {
        Callable<?> call =
            switch (c) {
              case "load" -> b::load;
              case "reloadUnchanged" -> b::reloadUnchanged;
              case "reloadOneChanged" -> b::reloadOneChanged;
              default -> throw new IllegalArgumentException("no case " + c);
            };
        time(b.files, c, call);
      }
    } finally {
      b.delete();
    }
  }

  private static void time(int files, String name, Callable<?> call) throws Exception {
    call.call();
    for (int i = 0; i < 3; i++) {
      long cpu = OS.getProcessCpuTime();
      long wall = System.nanoTime();
      call.call();
      double wallMs = (System.nanoTime() - wall) / 1e6;
      double cpuMs = (OS.getProcessCpuTime() - cpu) / 1e6;
      System.out.printf(
          "%-8d %-18s %10.0f %10.0f %10.3f%n", files, name, wallMs, cpuMs, cpuMs / files);
    }
  }
}
