package org.placeshare.gateway.http.console;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.audit.Witnessing;

/**
 * The log's latest signed checkpoint, the console's last verification, "verify now", and, with
 * witnesses configured, each witness's last cosigned size, lag and last error.
 */
public record IntegrityPage(
    Chrome chrome,
    Optional<String> checkpoint,
    Optional<String> lastVerified,
    String csrf,
    Optional<WitnessTable> witnessing)
    implements ConsolePage {

  /**
   * Witnessing as the page tells it.
   *
   * @param summary whether the newest checkpoint is witnessed, in words
   * @param witnessed the newest checkpoint reaches the quorum
   * @param behind lagging longer than allowed (the alert is raised)
   */
  public record WitnessTable(
      String summary, boolean witnessed, boolean behind, List<WitnessRow> witnesses) {
    public WitnessTable {
      witnesses = List.copyOf(witnesses);
    }
  }

  /**
   * One witness: its name, the largest size it cosigned, how far it lags the newest checkpoint, and
   * its last error ("" when none).
   */
  public record WitnessRow(String name, long size, String lag, String error) {}

  /** The table for the witnessing status as last read, at {@code now}. */
  static WitnessTable table(Witnessing.Status s, int quorum, Instant now) {
    boolean witnessed = s.newest() > 0 && s.witnessed() >= s.newest();
    String summary =
        s.newest() == 0
            ? "No checkpoint to witness yet."
            : witnessed
                ? "The newest checkpoint ("
                    + s.newest()
                    + " events) is witnessed by "
                    + quorum
                    + " or more witnesses."
                : "The newest checkpoint ("
                    + s.newest()
                    + " events) is not witnessed yet: the newest witnessed is of "
                    + s.witnessed()
                    + " events, "
                    + quorum
                    + " witnesses' cosignatures needed; waiting "
                    + s.lag().toSeconds()
                    + " s.";
    List<WitnessRow> rows =
        s.witnesses().stream()
            .map(
                w ->
                    new WitnessRow(
                        w.name(),
                        w.size(),
                        lag(s.newest() - w.size(), w.cosignedAt(), now),
                        w.error().orElse("")))
            .toList();
    return new WitnessTable(summary, witnessed, s.behind(), rows);
  }

  private static String lag(long events, Optional<Instant> cosignedAt, Instant now) {
    String since =
        cosignedAt
            .map(
                t ->
                    "last cosigned " + Math.max(0, Duration.between(t, now).toSeconds()) + " s ago")
            .orElse("never cosigned");
    return events <= 0 ? "in step; " + since : events + " events behind; " + since;
  }

  /** Whether the last verification found the log whole (shown as good news, else as an alert). */
  public boolean verified() {
    return lastVerified.map(v -> v.startsWith("the audit log verifies")).orElse(false);
  }

  @Override
  public String template() {
    return "integrity.jte";
  }
}
