package org.placeshare.fhir.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CPU time of the benchmark thread per operation, printed after each iteration: on a machine shared
 * with other work, wall-clock time per operation grows with the load, while the thread's own CPU
 * time barely moves. A benchmark method takes this state and calls {@link #op()} once.
 */
@State(Scope.Thread)
public class ThreadCpu {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private long startNanos;
  private long ops;

  @Setup(Level.Iteration)
  public void start() {
    ops = 0;
    startNanos = THREADS.getCurrentThreadCpuTime();
  }

  public void op() {
    ops++;
  }

  @TearDown(Level.Iteration)
  public void report() {
    long used = THREADS.getCurrentThreadCpuTime() - startNanos;
    if (ops > 0) {
      System.out.printf("  thread cpu: %.1f us/op over %d ops%n", used / 1e3 / ops, ops);
    }
  }
}
