package org.placeshare.gateway.release;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.release.ReleaseOutcome.Trail;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.identity.Caller;

/** The audit record's content for a release or a check, for the person view and cohort members. */
final class ReleaseEvent {

  private ReleaseEvent() {}

  /** The audit event of a release: who asked for whom, why, what was decided and what left. */
  static AuditEvent of(
      Caller caller,
      DecisionRequest request,
      ReleaseOptions options,
      Instant now,
      Map<String, List<String>> released,
      List<String> problems,
      String detail,
      Trail trail) {
    String id;
    String action;
    long millis;
    if (options.occasion() instanceof ReleaseOptions.View view) {
      id = view.requestId();
      action = view.action();
      millis = now.toEpochMilli() - view.started().toEpochMilli();
    } else if (options.occasion() instanceof ReleaseOptions.HouseholdMember member) {
      id = member.requestId();
      action = member.action();
      // The household request's own event carries the time it took.
      millis = 0;
    } else {
      ReleaseOptions.CohortMember member = (ReleaseOptions.CohortMember) options.occasion();
      id = member.job().toString();
      action = member.action();
      // A member's time is the job's: its summary event carries it.
      millis = 0;
    }
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        id,
        action,
        AuditEvent.Outcome.PERMITTED,
        200,
        Optional.of(request.patient()),
        Optional.of(caller),
        options.emergencyReason(),
        options.relationshipClaim(),
        trail.decisions(),
        released,
        problems,
        detail,
        millis);
  }
}
