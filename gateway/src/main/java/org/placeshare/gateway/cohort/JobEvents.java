package org.placeshare.gateway.cohort;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.household.Household;

/** The audit events about a bulk job as a whole: its caller and counts, never a person. */
final class JobEvents {

  private JobEvents() {}

  /** The job's one summary event: counts by kind for the IG lead, no person named. */
  static AuditEvent finished(
      ExportJobs.Job job, int size, JsonObject counts, JsonObject progress, Instant now) {
    StringBuilder detail =
        new StringBuilder(job.kind() == ExportJobs.Kind.EXPORT ? "cohort export" : "cohort summary")
            .append(" of ")
            .append(size)
            .append(" members finished: ")
            .append(counts.getInteger("released", 0))
            .append(" released, ")
            .append(counts.getInteger("leftOut.flagged", 0))
            .append(" left out by national data opt-out or restricted record, ")
            .append(counts.getInteger("leftOut.refused", 0))
            .append(" refused by the policy, ")
            .append(counts.getInteger("leftOut.not_held", 0))
            .append(" held by no permitted source, ")
            .append(counts.getInteger("failed", 0))
            .append(" failed (")
            .append(counts.getInteger("failed.flagged", 0))
            .append(" of them with a national data opt-out or restricted record)");
    if (job.includeHousehold()) {
      detail
          .append("; other household members: ")
          .append(counts.getInteger("household.released", 0))
          .append(" released as family, ")
          .append(counts.getInteger("household.leftOut.flagged", 0))
          .append(" left out by national data opt-out or restricted record, ")
          .append(counts.getInteger("household.leftOut.refused", 0))
          .append(" refused by the policy (the family clause among it), ")
          .append(counts.getInteger("household.leftOut.not_held", 0))
          .append(" held by no permitted source, ")
          .append(counts.getInteger("household.failed", 0))
          .append(" failed; ")
          .append(counts.getInteger("household.overCap", 0))
          .append(" members' households over the cap of ")
          .append(Household.MAX_RELEASED)
          .append(", their own records only");
    }
    JobProgress.files(progress)
        .forEach(
            e ->
                detail
                    .append("; ")
                    .append(e.getKey())
                    .append(" ")
                    .append(((JsonObject) e.getValue()).getInteger("count")));
    return job(job, AuditEvent.Outcome.PERMITTED, 200, detail.toString(), now);
  }

  /** An event about the job as a whole: its caller, no person, no records. */
  static AuditEvent job(
      ExportJobs.Job job, AuditEvent.Outcome outcome, int status, String detail, Instant now) {
    return new AuditEvent(
        UUID.randomUUID(),
        now,
        job.id().toString(),
        MemberRelease.ACTION,
        outcome,
        status,
        Optional.empty(),
        Optional.of(job.caller()),
        Optional.empty(),
        Optional.empty(),
        List.of(),
        Map.of(),
        List.of(),
        detail,
        now.toEpochMilli() - job.created().toEpochMilli());
  }
}
