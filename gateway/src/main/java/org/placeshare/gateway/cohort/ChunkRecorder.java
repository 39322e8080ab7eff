package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.observability.Metrics;

/**
 * A chunk's outcomes made final: the released members' audit events made durable first, then their
 * records appended to the export's files (or tallied, for a summary), and every member counted in
 * the job's progress.
 */
final class ChunkRecorder {

  private final Vertx vertx;
  private final AuditLog audit;
  private final ExportFiles files;
  private final Metrics metrics;
  private final Clock clock;

  ChunkRecorder(Vertx vertx, AuditLog audit, ExportFiles files, Metrics metrics, Clock clock) {
    this.vertx = vertx;
    this.audit = audit;
    this.files = files;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * The chunk's released members audited (durably, before anything is written), then written or
   * tallied, and everything counted in {@code progress}.
   */
  Future<Void> record(
      ExportJobs.Job job,
      List<MemberRelease.Outcome> outcomes,
      ExportHouseholds.Followed households,
      JsonObject progress,
      int suppressBelow) {
    List<Future<Long>> appends = new ArrayList<>();
    List<List<Resource>> released = new ArrayList<>();
    JsonObject counts = JobProgress.object(progress, "counts");
    JsonObject problems = JobProgress.object(progress, "sourceProblems");
    String kind = job.kind().name().toLowerCase(Locale.ROOT);
    count(kind, outcomes, "", appends, released, counts, problems);
    // The other members of the households: counted apart, never named, written alike.
    count(kind, households.family(), "household.", appends, released, counts, problems);
    for (int i = 0; i < households.overCap(); i++) {
      JobProgress.increment(counts, "household.overCap");
    }
    List<MemberRelease.Outcome> all = new ArrayList<>(outcomes);
    all.addAll(households.family());
    LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    return Future.all(appends)
        .onSuccess(
            v ->
                all.stream()
                    .filter(o -> o instanceof MemberRelease.Released)
                    .forEach(o -> metrics.released(((MemberRelease.Released) o).event())))
        .compose(
            v ->
                vertx.executeBlocking(
                    () -> {
                      if (job.kind() == ExportJobs.Kind.EXPORT) {
                        files.append(
                            job.id(), released, ExportShape.of(job), JobProgress.files(progress));
                      } else {
                        JsonObject tallies = JobProgress.object(progress, "tallies");
                        for (int i = 0; i < released.size(); i++) {
                          CohortSummary.tally(
                              tallies,
                              released.get(i),
                              today,
                              i < households.tags().size()
                                  ? Optional.of(households.tags().get(i))
                                  : Optional.empty(),
                              suppressBelow);
                        }
                      }
                      return null;
                    },
                    false))
        .mapEmpty();
  }

  /** Audits and gathers the released, and counts each outcome under {@code prefix}. */
  private void count(
      String kind,
      List<MemberRelease.Outcome> outcomes,
      String prefix,
      List<Future<Long>> appends,
      List<List<Resource>> released,
      JsonObject counts,
      JsonObject problems) {
    // Each member's decisions were counted by the release, as the person view's are.
    for (MemberRelease.Outcome o : outcomes) {
      if (o instanceof MemberRelease.Released r) {
        metrics.cohortMember(kind, "released");
        appends.add(audit.append(r.event()));
        released.add(r.resources());
        JobProgress.increment(counts, prefix + "released");
        r.problems().forEach(p -> JobProgress.increment(problems, p.split(":", 2)[0]));
      } else if (o instanceof MemberRelease.LeftOut l) {
        metrics.cohortMember(kind, "left-out");
        JobProgress.increment(
            counts, prefix + "leftOut." + l.why().name().toLowerCase(Locale.ROOT));
      } else if (o instanceof MemberRelease.Failed f) {
        metrics.cohortMember(kind, "failed");
        JobProgress.increment(counts, prefix + "failed");
        if (f.concealed()) {
          // For the IG lead's summary only: the manifest counts them with the failed.
          JobProgress.increment(counts, prefix + "failed.flagged");
        }
        f.problems().forEach(p -> JobProgress.increment(problems, p.split(":", 2)[0]));
      }
    }
  }
}
