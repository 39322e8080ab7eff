package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Waits for a bulk job through its status URL, as a client would, for as long as a job of its size
 * may take when nothing is wrong ({@link Gateway#longestBulkJob}) and no longer. A job still going
 * after that is stuck, and the failure says where: the job's row, the other jobs in the way, and
 * the threads of the gateway (deadlocks named, stacks in the test's output).
 */
final class BulkJobWait {

  /**
   * Added to the bound for a loaded machine: the runner's poll, the database, the audit log. The
   * jobs of these tests finish in under 1.5 s at a load average of 6 on two cores.
   */
  static final Duration LOADED_MACHINE = Duration.ofSeconds(20);

  static final Duration POLL = Duration.ofMillis(100);

  private static final Pattern PROGRESS = Pattern.compile("(\\d+) of (\\d+) members done");

  private BulkJobWait() {}

  /** Polls the status URL until the job is done; answers the final response. */
  static HttpResponse<String> finished(GatewayFixture f, String token, String statusUrl)
      throws Exception {
    String path = URI.create(statusUrl).getRawPath();
    long started = System.nanoTime();
    Duration bound = null;
    String progress = null;
    while (true) {
      HttpResponse<String> r = f.get(path, token);
      if (r.statusCode() != 202) {
        return r;
      }
      progress = r.headers().firstValue("X-Progress").orElse(null);
      assertThat(progress).as("X-Progress of " + path).isNotNull();
      if (bound == null) {
        Matcher m = PROGRESS.matcher(progress);
        assertThat(m.matches()).as("X-Progress " + progress).isTrue();
        bound = f.gateway.longestBulkJob(Integer.parseInt(m.group(2))).plus(LOADED_MACHINE);
      }
      Duration waited = Duration.ofNanos(System.nanoTime() - started);
      if (waited.compareTo(bound) > 0) {
        throw new AssertionError(stuck(f, path, waited, bound, progress));
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** What the gateway says of a job past its bound, and where its threads are. */
  private static String stuck(
      GatewayFixture f, String path, Duration waited, Duration bound, String progress) {
    UUID job = UUID.fromString(path.substring(path.lastIndexOf('/') + 1));
    StringBuilder why =
        new StringBuilder("bulk job ")
            .append(job)
            .append(" did not finish in ")
            .append(waited.toSeconds())
            .append(" s, past the ")
            .append(bound.toSeconds())
            .append(" s a job of its size may take (the sources' deadlines, ")
            .append(LOADED_MACHINE.toSeconds())
            .append(" s for a loaded machine); X-Progress ")
            .append(progress);
    try {
      for (Row r :
          f.gateway
              .database()
              .pool()
              .preparedQuery(
                  "SELECT id, kind, status, position, lease_owner = $1 AS ours,"
                      + " lease_until > now() AS leased, error FROM export_job"
                      + " WHERE id = $2 OR status IN ('queued', 'running') ORDER BY created_at")
              .execute(Tuple.of(f.gateway.exportRunnerOwner(), job))
              .await()) {
        why.append("; job ")
            .append(r.getUUID("id").equals(job) ? "(this one) " : "")
            .append(r.getUUID("id"))
            .append(" ")
            .append(r.getString("kind"))
            .append(" ")
            .append(r.getString("status"))
            .append(" at member ")
            .append(r.getInteger("position"))
            .append(Boolean.TRUE.equals(r.getBoolean("ours")) ? ", leased by this instance" : "")
            .append(
                Boolean.TRUE.equals(r.getBoolean("leased")) ? ", lease live" : ", no live lease")
            .append(r.getString("error") == null ? "" : ", error: " + r.getString("error"));
      }
    } catch (RuntimeException e) {
      why.append("; the jobs could not be read: ").append(e);
    }
    var threads = ManagementFactory.getThreadMXBean();
    long[] deadlocked = threads.findDeadlockedThreads();
    why.append("; deadlocked threads: ");
    if (deadlocked == null) {
      why.append("none");
    } else {
      Arrays.stream(threads.getThreadInfo(deadlocked, true, true))
          .forEach(t -> why.append(t.getThreadName()).append(" "));
    }
    why.append("; the gateway's threads are in the test's output");
    List<String> stacks = new ArrayList<>();
    for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
      if (t.getKey().getName().startsWith("vert.x")) {
        StringBuilder s =
            new StringBuilder(t.getKey().getName()).append(" ").append(t.getKey().getState());
        Arrays.stream(t.getValue()).limit(40).forEach(e -> s.append("\n    at ").append(e));
        stacks.add(s.toString());
      }
    }
    System.err.println(
        "Threads while bulk job " + job + " was stuck:\n" + String.join("\n", stacks));
    return why.toString();
  }
}
