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
 */
final class CheckpointStep {

  /** Why a refusal is worth keeping as evidence of a log's misbehaviour, or empty. */
  record Refused(WitnessRefusal refusal, Optional<String> evidence) {}

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
    if (old != known) {
      return refuse(
          WitnessRefusal.outOfStep(known, "old size " + old + ", last cosigned " + known), null);
    }
    if (old == next.size()) {
      if (cosigned.isPresent() && !MessageDigest.isEqual(cosigned.get().root(), next.root())) {
        // Two roots signed by the log for one size: a split view, the evidence a witness is for.
        return refuse(
            WitnessRefusal.outOfStep(known, "a different root for size " + known),
            "a second root for size " + known);
      }
      if (!request.proof().isEmpty()) {
        return refuse(
            WitnessRefusal.because(422, "the sizes are equal but the proof is not empty"), null);
      }
      return Optional.empty();
    }
    if (old == 0) {
      return request.proof().isEmpty()
          ? Optional.empty()
          : refuse(WitnessRefusal.because(422, "a proof from size 0 must be empty"), null);
    }
    try {
      Merkle.verifyConsistency(
          old, next.size(), request.proof(), cosigned.get().root(), next.root());
      return Optional.empty();
    } catch (Merkle.ProofException e) {
      String reason = "the consistency proof from " + old + " to " + next.size() + " fails: ";
      return refuse(WitnessRefusal.because(422, reason + e.getMessage()), reason + e.getMessage());
    }
  }

  private static Optional<Refused> refuse(WitnessRefusal refusal, String evidence) {
    return Optional.of(new Refused(refusal, Optional.ofNullable(evidence)));
  }
}
