package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.WitnessingBehind;
import org.placeshare.gateway.policy.FlagConcealment;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.release.ReadAhead;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.gateway.release.ReleaseOutcome;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * One cohort member through the {@link PersonRelease}, as a member of a cohort of the job's size,
 * and its outcome in the words of a bulk job's counts. The rules are the release's; this class only
 * names what became of the member.
 */
public final class MemberRelease {

  /** The audit action of a member released by a bulk job (and of the job's own events). */
  public static final String ACTION = "cohort-export";

  /** What became of one member, and the decision for each source it rests on. */
  public sealed interface Outcome {
    /** The true decisions, for the audit. */
    List<AuditEvent.SourceDecision> decisions();

    /**
     * The decisions as the metrics count them, as the person view does: a source refused only for a
     * flag under the decision it would have had without it ({@link FlagConcealment}).
     */
    List<AuditEvent.SourceDecision> counted();

    /** Whether a flag hid a source: the outcome was answered as if it had not. */
    default boolean concealed() {
      return !counted().equals(decisions());
    }
  }

  /**
   * Records released: the resources as they leave (the merged Patient first), the audit event that
   * must be durable before they are written, and the sources that failed on the way (a source
   * hidden by a flag and known to be failing among them, as it would have failed).
   */
  public record Released(
      List<Resource> resources,
      AuditEvent event,
      List<String> problems,
      List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public Released {
      resources = List.copyOf(resources);
      problems = List.copyOf(problems);
      counted = List.copyOf(counted);
    }

    @Override
    public List<AuditEvent.SourceDecision> decisions() {
      return event.decisions();
    }

    /** The pseudonymous id of the released Patient (the view's first resource). */
    public Optional<String> patientId() {
      return resources.stream()
          .filter(r -> r instanceof Patient)
          .findFirst()
          .map(r -> r.getIdElement().getIdPart());
    }
  }

  /** Left out: the policy permitted no source, or no permitted source holds the person. */
  public record LeftOut(
      Why why, List<AuditEvent.SourceDecision> decisions, List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public LeftOut {
      decisions = List.copyOf(decisions);
      counted = List.copyOf(counted);
    }
  }

  /**
   * Every source that was asked failed, or would have failed: a source hidden by a flag and known
   * to be failing fails here as it would for a member without the flag.
   */
  public record Failed(
      List<String> problems,
      List<AuditEvent.SourceDecision> decisions,
      List<AuditEvent.SourceDecision> counted)
      implements Outcome {
    public Failed {
      problems = List.copyOf(problems);
      decisions = List.copyOf(decisions);
      counted = List.copyOf(counted);
    }

    /** A member no source was decided for (the gateway itself failed): nothing hidden. */
    public Failed(List<String> problems, List<AuditEvent.SourceDecision> decisions) {
      this(problems, decisions, decisions);
    }
  }

  /** Why a member was left out, for the IG lead's audit event. Recipients see one count. */
  public enum Why {
    FLAGGED,
    REFUSED,
    NOT_HELD
  }

  private final PersonRelease release;

  public MemberRelease(PersonRelease release) {
    this.release = release;
  }

  /**
   * The decision for each source about a member of a cohort of {@code size}, with nothing known of
   * the person: what a job would be refused for everyone. Empty when some source might permit.
   */
  public List<String> refusedForEveryone(Caller caller, NhsNumber anyMember, int size) {
    return release.refusedForEveryone(caller, anyMember, size);
  }

  /**
   * One member through the release, told in the cohort's words: released, left out (and why, for
   * the IG lead's counts), or failed.
   *
   * @param types the resource types asked for ({@code _type}), if narrowed
   * @param read what was read ahead for the member's chunk ({@link ReadAhead#NONE}: read now)
   */
  public Future<Outcome> release(
      ExportJobs.Job job,
      int cohortSize,
      NhsNumber patient,
      Optional<Set<String>> types,
      Optional<Instant> since,
      ReadAhead read) {
    return release
        .release(
            job.caller(),
            patient,
            ReleaseOptions.member(job.id(), cohortSize, ACTION, types, since),
            read)
        .map(MemberRelease::told);
  }

  /**
   * The facts and standing consents of a chunk's members, read at once. When the read fails, each
   * member reads its own as before (and fails, or pauses the job, as a single read would).
   */
  public Future<ReadAhead> readAhead(List<NhsNumber> chunk) {
    return release.readAhead(chunk).otherwise(ReadAhead.NONE);
  }

  /**
   * Every agreement ({@code id@version}) that permits this cohort member, decided as their release
   * was (nothing fetched, nothing counted): their household's other members are released under
   * these only.
   */
  public Future<Set<String>> permitting(ExportJobs.Job job, int cohortSize, NhsNumber patient) {
    return release
        .permission(
            job.caller(),
            patient,
            ReleaseOptions.member(job.id(), cohortSize, ACTION, job.types(), job.since()))
        .map(PersonRelease.Permission::agreements);
  }

  /**
   * Another member of a cohort member's household through the same release, as that member's family
   * ({@link ReleaseOptions#cohortFamily}): the agreements' family clause, and otherwise the
   * person's own facts, decide.
   */
  public Future<Outcome> releaseAsFamily(
      ExportJobs.Job job, int cohortSize, NhsNumber person, ReleaseOptions.HouseholdMember family) {
    return release
        .release(
            job.caller(),
            person,
            ReleaseOptions.cohortFamily(
                job.id(), cohortSize, ACTION, job.types(), job.since(), family))
        .map(MemberRelease::told);
  }

  /**
   * A member's release that failed in the gateway: the member failed, except while witnessing is
   * behind and the gateway fails closed ({@link WitnessingBehind}), which is no member's fault and
   * not for the job to count: the chunk fails, the job pauses (its lease lapses) and resumes from
   * its last checkpoint once releases resume, so no member is lost to it.
   */
  static Future<Outcome> failedOrPaused(Throwable e) {
    if (e instanceof WitnessingBehind) {
      return Future.failedFuture(e);
    }
    return Future.succeededFuture(
        new Failed(List.of("gateway: " + e.getClass().getSimpleName()), List.of()));
  }

  private static Outcome told(ReleaseOutcome outcome) {
    List<AuditEvent.SourceDecision> decisions = outcome.trail().decisions();
    List<AuditEvent.SourceDecision> counted = outcome.trail().counted();
    if (outcome instanceof ReleaseOutcome.Released r) {
      return new Released(
          ExportReferences.plain(r.view().bundle()), r.event(), r.problems(), counted);
    }
    if (outcome instanceof ReleaseOutcome.Concealed c && c.problems().isEmpty()) {
      return new LeftOut(Why.FLAGGED, decisions, counted);
    }
    if (outcome instanceof ReleaseOutcome.Concealed c) {
      return new Failed(c.problems(), decisions, counted);
    }
    if (outcome instanceof ReleaseOutcome.Failed f) {
      return new Failed(f.problems(), decisions, counted);
    }
    if (outcome instanceof ReleaseOutcome.NotHeld) {
      return new LeftOut(outcome.flagged() ? Why.FLAGGED : Why.NOT_HELD, decisions, counted);
    }
    if (outcome instanceof ReleaseOutcome.Refused) {
      return new LeftOut(outcome.flagged() ? Why.FLAGGED : Why.REFUSED, decisions, counted);
    }
    if (outcome instanceof ReleaseOutcome.CapReached) {
      return new LeftOut(Why.REFUSED, decisions, counted);
    }
    // A member is never a data-quality check: there is nothing of it to write.
    return new Failed(List.of("gateway: not a member's release"), decisions, counted);
  }
}
