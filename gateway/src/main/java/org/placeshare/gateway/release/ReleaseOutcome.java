package org.placeshare.gateway.release;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.placeshare.fhir.DataQuality;
import org.placeshare.fhir.PersonView;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.register.PilotCount;

/**
 * What became of one {@link PersonRelease}: each kind says what the caller may be told, and every
 * one carries the {@link Trail} the audit and the metrics need. Only {@link Released} and {@link
 * Checked} carry an audit event; the others are audited by whoever answers them, with the trail's
 * true decisions.
 */
public sealed interface ReleaseOutcome {

  /** The refusals (as the audit names them) that rest on a flag the recipient must not learn. */
  Set<String> FLAG_REFUSALS = Set.of("national_opt_out", "restricted_record");

  Trail trail();

  /** Whether a flag (opt-out, restricted record) refused any source, hidden or not. */
  default boolean flagged() {
    return trail().decisions().stream()
        .flatMap(d -> d.refusals().stream())
        .anyMatch(FLAG_REFUSALS::contains);
  }

  /**
   * What the release learnt on the way.
   *
   * @param decisions the true decision per source, in source order, for the audit
   * @param counted the decisions as the metrics count them: a source refused only for a flag under
   *     the decision it would have had without it
   * @param hidden the sources refused only for a flag, answered as if they had been asked, with how
   *     that lookup ends ({@code not-found}, or {@code failed} when known to be failing)
   * @param lookups the sources actually asked, with what they answered and how long it took
   */
  record Trail(
      List<AuditEvent.SourceDecision> decisions,
      List<AuditEvent.SourceDecision> counted,
      Map<String, String> hidden,
      List<Lookup> lookups) {
    public Trail {
      decisions = List.copyOf(decisions);
      counted = List.copyOf(counted);
      hidden = Collections.unmodifiableMap(new LinkedHashMap<>(hidden));
      lookups = List.copyOf(lookups);
    }

    /** Nothing decided yet: a release refused before any source was decided. */
    static final Trail NONE = new Trail(List.of(), List.of(), Map.of(), List.of());

    /** Whether a flag hid a source: the outcome is answered as if it had not. */
    public boolean concealed() {
      return !hidden.isEmpty();
    }

    Trail withLookups(List<Lookup> done) {
      return new Trail(decisions, counted, hidden, done);
    }
  }

  /**
   * One source asked.
   *
   * @param result {@code found}, {@code not-found} or {@code failed}
   */
  record Lookup(String source, String result, long nanos) {}

  /**
   * Records released: the view as it leaves, the event that must be durable before it does, the
   * sources' answers (for the care relationships they show), and the sources that failed on the way
   * (a hidden source known to be failing among them, as it would have failed).
   *
   * @param owed the count owed to the pilots' daily volumes, to be taken with the event in the
   *     audit append's transaction; empty when the release was counted already, or nothing is
   *     capped
   */
  record Released(
      PersonView.Released view,
      AuditEvent event,
      List<SourceRecords> results,
      List<String> problems,
      Trail trail,
      Optional<PilotCount> owed)
      implements ReleaseOutcome {
    public Released {
      results = List.copyOf(results);
      problems = List.copyOf(problems);
    }
  }

  /**
   * A data-quality check: the sources' Patients compared, reported as an OperationOutcome naming
   * sources and fields only. No record is released; the event says so.
   */
  record Checked(
      OperationOutcome report,
      List<DataQuality.Finding> findings,
      AuditEvent event,
      List<String> problems,
      Trail trail)
      implements ReleaseOutcome {
    public Checked {
      findings = List.copyOf(findings);
      problems = List.copyOf(problems);
    }
  }

  /**
   * Nothing released, and a flag hid a source that would otherwise have been asked: answered as a
   * lookup that found nobody would be, as not held or, when a source could not be read, as failed.
   *
   * @param problems the sources that could not be read, or would not have been (a hidden one known
   *     to be failing); empty when the answer is "not held"
   * @param auditDetail the true refusals for the audit, when no source was permitted at all
   */
  record Concealed(List<String> problems, Optional<String> auditDetail, Trail trail)
      implements ReleaseOutcome {
    public Concealed {
      problems = List.copyOf(problems);
    }
  }

  /** Why a release was refused before anything was fetched. */
  enum Ground {
    /** No agreement permits any source (deny by default). */
    POLICY,
    /** The consent token presented was not valid, was withdrawn, or clashed with another. */
    CONSENT_TOKEN
  }

  /** Refused: no source permitted, or the consent presented refused; nothing fetched. */
  record Refused(Ground ground, String auditDetail, Trail trail) implements ReleaseOutcome {}

  /** Every permitted source answered, and none holds the person. */
  record NotHeld(Trail trail) implements ReleaseOutcome {}

  /**
   * No permitted source that answered holds the person, and some could not be read: one of them may
   * hold the person, so "not held" cannot be claimed.
   */
  record Failed(List<String> problems, Trail trail) implements ReleaseOutcome {
    public Failed {
      problems = List.copyOf(problems);
    }
  }

  /**
   * A pilot's daily cap reached between the decision and the release, by requests on this or
   * another instance: refused as the decision would have refused it a moment later.
   *
   * @param reasons one line for each agreement whose cap was reached
   */
  record CapReached(List<String> reasons, Trail trail) implements ReleaseOutcome {
    public CapReached {
      reasons = List.copyOf(reasons);
    }
  }
}
