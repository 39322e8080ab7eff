package org.placeshare.gateway.register;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.PolicyException;

/**
 * The national data opt-out list: a file of NHS numbers, one per line ({@code #} starts a comment),
 * as the gateway's operator receives it. It replaces the opt-out flags in the register in one
 * transaction, at start and whenever the file changes; a file with any bad line is refused whole,
 * line numbers given, and the flags already held stay. The log never holds a number.
 */
public final class NationalOptOuts {

  private static final Logger LOG = Logger.getLogger(NationalOptOuts.class.getName());

  /** Room for every NHS number in England many times over, and no more. */
  static final long MAX_FILE_BYTES = 256L * 1024 * 1024;

  private static final String CLEAR =
      "UPDATE patient_register SET opted_out = false, updated_at = $1"
          + " WHERE opted_out AND NOT (nhs_number = ANY($2))";
  private static final String SET =
      "INSERT INTO patient_register (nhs_number, opted_out, restricted, updated_at)"
          + " SELECT n, true, false, $1 FROM unnest($2::text[]) AS n"
          + " ON CONFLICT (nhs_number) DO UPDATE SET opted_out = true, updated_at = $1"
          + " WHERE NOT patient_register.opted_out";

  private final Path file;
  private final Pool pool;
  private final Clock clock;
  private volatile String stamp = "";
  private long timer = -1;

  public NationalOptOuts(Path file, Pool pool, Clock clock) {
    this.file = file;
    this.pool = pool;
    this.clock = clock;
  }

  /** Reads the file into the register; fails (changing nothing) if any line is bad. */
  public Future<Integer> load(Vertx vertx) {
    String seen = stamp();
    return vertx
        .executeBlocking(() -> read(file), false)
        .compose(
            numbers -> {
              String[] digits = numbers.stream().map(NhsNumber::toString).toArray(String[]::new);
              Tuple args =
                  Tuple.tuple()
                      .addOffsetDateTime(clock.instant().atOffset(ZoneOffset.UTC))
                      .addArrayOfString(digits);
              return pool.withTransaction(
                      c ->
                          c.preparedQuery(CLEAR)
                              .execute(args)
                              .compose(x -> c.preparedQuery(SET).execute(args)))
                  .map(
                      x -> {
                        stamp = seen;
                        LOG.info("national data opt-outs loaded: " + digits.length + " people");
                        return digits.length;
                      });
            });
  }

  /** Reloads whenever the file's size or modification time changes. */
  public void watch(Vertx vertx, Duration every) {
    timer =
        vertx.setPeriodic(
            every.toMillis(),
            id -> {
              if (!stamp().equals(stamp)) {
                load(vertx)
                    .onFailure(
                        e -> {
                          stamp = stamp();
                          LOG.warning("national data opt-outs not reloaded: " + e.getMessage());
                        });
              }
            });
  }

  public void stop(Vertx vertx) {
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
  }

  private String stamp() {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.size() + "@" + a.lastModifiedTime().toMillis();
    } catch (IOException e) {
      return "missing";
    }
  }

  /**
   * The numbers in a file; every bad line is listed by number (never its content: it may be a real
   * person's NHS number with a typing error).
   */
  static Set<NhsNumber> read(Path file) {
    List<String> lines;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new PolicyException(file + ": expected at most " + MAX_FILE_BYTES + " bytes");
      }
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getClass().getSimpleName(), e);
    }
    Set<NhsNumber> numbers = new LinkedHashSet<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String value = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (value.isEmpty()) {
        continue;
      }
      try {
        numbers.add(NhsNumber.parse(value));
      } catch (InvalidNhsNumberException e) {
        problems.add("line " + (i + 1) + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(
          file
              + ": "
              + problems.size()
              + " bad lines, nothing loaded: "
              + String.join("; ", problems.subList(0, Math.min(10, problems.size())))
              + (problems.size() > 10 ? "; ..." : ""));
    }
    return numbers;
  }
}
