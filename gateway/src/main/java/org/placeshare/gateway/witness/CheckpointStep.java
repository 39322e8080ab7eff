package org.placeshare.gateway.witness;

import java.security.MessageDigest;
import java.util.Optional;
import org.placeshare.gateway.audit.Merkle;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.witness.WitnessState.Cosigned;

/**
 * Whether a checkpoint may follow the one the witness last cosigned for its log, by the checks of
 * C2SP tlog-witness in its order: the old size is the cosigned size (409 with that size), the same
 * size has the same root (409), and the consistency proof from the old tree to the new verifies
 * (422, RFC 6962 section 2.1.2; empty from size 0). Pure: no state, no time.
 *
 * <p>Only a split view is evidence: a checkpoint signed by the log with another root for the size
 * the witness cosigned, whatever old size came with it. A proof that fails is not: anyone holding a
 * genuine checkpoint can attach garbage hashes to it, so it proves nothing about the log.
 */
final class CheckpointStep {

  /**
   * A refusal, and whether the checkpoint is a second root for the cosigned size (a split view: two
   * roots for one size, both signed by the log, the evidence a witness exists to keep).
   */
  record Refused(WitnessRefusal refusal, boolean splitView) {}

  private CheckpointStep() {}

  /**
   * Checks the step from {@code cosigned} (none: never cosigned) to {@code next}.
   *
   * @return empty when the witness may cosign, else the refusal
   */
  static Optional<Refused> check(
      Optional<Cosigned> cosigned, AddCheckpointRequest request, NoteCheckpoint next) {
    long known = cosigned.map(Cosigned::size).orElse(0L);
    long old = request.oldSize();
    // Two roots signed by the log for one size: a split view, whatever old size was sent with it.
    boolean splitView =
        cosigned.isPresent()
            && next.size() == known
            && !MessageDigest.isEqual(cosigned.get().root(), next.root());
    if (old != known) {
      return refuse(
          WitnessRefusal.outOfStep(known, "old size " + old + ", last cosigned " + known),
          splitView);
    }
    if (old == next.size()) {
      if (splitView) {
        return refuse(WitnessRefusal.outOfStep(known, "a different root for size " + known), true);
      }
      if (!request.proof().isEmpty()) {
        return refuse(
            WitnessRefusal.because(422, "the sizes are equal but the proof is not empty"), false);
      }
      return Optional.empty();
    }
    if (old == 0) {
      return request.proof().isEmpty()
          ? Optional.empty()
          : refuse(WitnessRefusal.because(422, "a proof from size 0 must be empty"), false);
    }
    try {
      Merkle.verifyConsistency(
          old, next.size(), request.proof(), cosigned.get().root(), next.root());
      return Optional.empty();
    } catch (Merkle.ProofException e) {
      String reason = "the consistency proof from " + old + " to " + next.size() + " fails: ";
      return refuse(WitnessRefusal.because(422, reason + e.getMessage()), false);
    }
  }

  private static Optional<Refused> refuse(WitnessRefusal refusal, boolean splitView) {
    return Optional.of(new Refused(refusal, splitView));
  }
}
