package org.placeshare.gateway.audit;

import com.nimbusds.jose.jwk.ECKey;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Checks the audit log with only the audit key's public half: every checkpoint's signature, every
 * event's leaf hash recomputed from its data, the indices contiguous from 0, and the root at every
 * checkpoint's size recomputed from the events. Reports the first problem found: an altered or
 * moved event, a missing one, or a stretch of the log that no longer matches what was signed.
 */
public final class AuditVerifier {

  /**
   * One stored event: its index, the exact bytes hashed (null once redacted under retention: then
   * only its stored hash is left, and the signed checkpoints vouch for it), the stored hash, a
   * label.
   */
  public record StoredLeaf(long index, byte[] data, byte[] storedHash, String label) {}

  /**
   * @param problem the first problem, or empty when the log verifies
   */
  public record Report(long events, Optional<Checkpoint> latest, Optional<String> problem) {
    public boolean intact() {
      return problem.isEmpty();
    }

    public String summary() {
      return problem.orElseGet(
          () ->
              "the audit log verifies: "
                  + events
                  + " events"
                  + latest
                      .map(
                          c ->
                              ", matching the checkpoint of size "
                                  + c.size()
                                  + " signed at "
                                  + c.time()
                                  + " (root "
                                  + c.rootBase64()
                                  + ")"
                                  + (events > c.size()
                                      ? "; the "
                                          + (events - c.size())
                                          + " events after it await the next checkpoint"
                                      : ""))
                      .orElse(", no checkpoint signed yet"));
    }
  }

  private AuditVerifier() {}

  public static Report verify(Iterator<StoredLeaf> leaves, List<String> signed, ECKey key) {
    List<Checkpoint> checkpoints = new ArrayList<>();
    for (String s : signed) {
      try {
        checkpoints.add(Checkpoint.verify(s, key));
      } catch (IllegalArgumentException e) {
        return new Report(0, Optional.empty(), Optional.of("a checkpoint: " + e.getMessage()));
      }
    }
    checkpoints.sort(Comparator.comparingLong(Checkpoint::size));
    Optional<Checkpoint> latest =
        checkpoints.isEmpty()
            ? Optional.empty()
            : Optional.of(checkpoints.get(checkpoints.size() - 1));
    Frontier frontier = Frontier.empty();
    int next = 0;
    long lastGood = 0;
    while (leaves.hasNext()) {
      StoredLeaf leaf = leaves.next();
      long expected = frontier.size();
      if (leaf.index() != expected) {
        return new Report(
            expected,
            latest,
            Optional.of(
                "the event at index "
                    + expected
                    + " is missing (the next is "
                    + leaf.index()
                    + ")"));
      }
      if (leaf.data() == null && leaf.storedHash() == null) {
        return new Report(
            expected,
            latest,
            Optional.of("the event at index " + expected + " has neither data nor a leaf hash"));
      }
      byte[] hash = leaf.data() == null ? leaf.storedHash() : Merkle.leafHash(leaf.data());
      if (leaf.storedHash() != null && !MessageDigest.isEqual(hash, leaf.storedHash())) {
        return new Report(
            expected,
            latest,
            Optional.of(
                "the event at index "
                    + expected
                    + " ("
                    + leaf.label()
                    + ") has been altered or moved: its data no longer gives its leaf hash"));
      }
      frontier.append(hash);
      while (next < checkpoints.size() && checkpoints.get(next).size() == frontier.size()) {
        Checkpoint c = checkpoints.get(next++);
        if (!MessageDigest.isEqual(frontier.root(), c.root())) {
          return new Report(
              frontier.size(),
              latest,
              Optional.of(
                  "the log does not match the checkpoint of size "
                      + c.size()
                      + " signed at "
                      + c.time()
                      + ": an event from index "
                      + lastGood
                      + " to "
                      + (c.size() - 1)
                      + " was altered, removed or reordered"));
        }
        lastGood = c.size();
      }
      while (next < checkpoints.size() && checkpoints.get(next).size() < frontier.size()) {
        next++; // a checkpoint of a size already passed cannot be missed; sizes are ascending
      }
    }
    if (latest.isPresent() && latest.get().size() > frontier.size()) {
      return new Report(
          frontier.size(),
          latest,
          Optional.of(
              "the log ends after "
                  + frontier.size()
                  + " events, but a checkpoint of size "
                  + latest.get().size()
                  + " was signed: events from index "
                  + frontier.size()
                  + " are missing"));
    }
    return new Report(frontier.size(), latest, Optional.empty());
  }
}
