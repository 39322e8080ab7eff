package org.placeshare.gateway.linkage;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * What one sync of one source did: how many roster entries it read and what became of them, and how
 * it ended. Counts only: no identifier or demographics, so it may be logged.
 *
 * @param unchanged entries whose live link or open review had the same demographics: not traced
 * @param refreshed live links whose changed demographics still traced certainly to the same person
 * @param queued entries put to a steward's review (re-checks included)
 * @param unreadable entries whose stored link could not be read back: skipped, left as they are
 * @param trouble why it failed, in words safe to show
 */
public record SyncReport(
    String source,
    Instant started,
    Instant finished,
    Outcome outcome,
    int read,
    int unchanged,
    int linked,
    int refreshed,
    int queued,
    int notTraced,
    int unusable,
    int unreadable,
    Optional<String> trouble) {

  public enum Outcome {
    SUCCEEDED,
    /** Stopped at a cap: what it did stands, the next sync goes on. */
    INCOMPLETE,
    FAILED;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public String summary() {
    return "linkage sync of "
        + source
        + " "
        + outcome.code()
        + ": "
        + read
        + " read, "
        + unchanged
        + " unchanged, "
        + linked
        + " linked, "
        + refreshed
        + " refreshed, "
        + queued
        + " to review, "
        + notTraced
        + " not traced, "
        + unusable
        + " unusable"
        + (unreadable > 0 ? ", " + unreadable + " skipped (stored link unreadable)" : "")
        + trouble.map(t -> " (" + t + ")").orElse("");
  }
}
