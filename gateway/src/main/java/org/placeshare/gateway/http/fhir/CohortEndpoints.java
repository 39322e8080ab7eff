package org.placeshare.gateway.http.fhir;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * Cohorts and bulk export, in the FHIR Bulk Data pattern: {@code POST /fhir/Group} registers a
 * cohort of NHS numbers; {@code GET /fhir/Group/{id}/$export} (or {@code $summary}) with {@code
 * Prefer: respond-async} starts a job and answers 202 with its status URL, which {@link
 * BulkJobEndpoints} serves. Every call is audited.
 */
public final class CohortEndpoints {

  static final String EXPORT = "$export";
  static final String SUMMARY = "$summary";

  /** Each released member's household follows them into the export, as family (issue 18). */
  static final String INCLUDE_HOUSEHOLD = "_includeHousehold";

  /** A Group beyond this many bytes per member, plus room for the rest, is not a real one. */
  static final int BYTES_PER_MEMBER = 256;

  /** More problems than this in one Group are summed up, not each listed. */
  static final int MAX_LISTED_PROBLEMS = 50;

  private final Vertx vertx;
  private final Cohorts cohorts;
  private final ExportJobs jobs;
  private final ExportRunner runner;
  private final MemberRelease members;
  private final CohortCalls calls;
  private final String publicUrl;
  private final int maxMembers;
  private final int maxJobsPerClient;
  private final Clock clock;

  public CohortEndpoints(
      Vertx vertx,
      Cohorts cohorts,
      ExportJobs jobs,
      ExportRunner runner,
      MemberRelease members,
      AuditLog audit,
      String publicUrl,
      int maxMembers,
      int maxJobsPerClient,
      Clock clock) {
    this.vertx = vertx;
    this.cohorts = cohorts;
    this.jobs = jobs;
    this.runner = runner;
    this.members = members;
    this.calls = new CohortCalls(audit, clock);
    this.publicUrl = publicUrl;
    this.maxMembers = maxMembers;
    this.maxJobsPerClient = maxJobsPerClient;
    this.clock = clock;
  }

  /** The body limit for {@code POST /fhir/Group}. */
  public static long maxGroupBytes(int maxMembers) {
    return (long) maxMembers * BYTES_PER_MEMBER + 64 * 1024;
  }

  // --- POST /fhir/Group ---

  public void register(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-register";
    Caller caller = state.caller;
    String body = ctx.body().asString();
    if (body == null || body.isBlank()) {
      ctx.fail(400, new GatewayException(IssueType.INVALID, "expected a FHIR Group as the body"));
      return;
    }
    FhirFormat format;
    try {
      format = FhirBody.format(ctx);
    } catch (GatewayException e) {
      ctx.fail(e);
      return;
    }
    vertx
        .executeBlocking(() -> CohortGroups.parse(format, body), false)
        .onFailure(e -> ctx.fail(400, CohortGroups.unreadable(e)))
        .onSuccess(
            group -> {
              List<String> problems = new ArrayList<>();
              List<NhsNumber> numbers = CohortGroups.members(group, maxMembers, problems);
              if (!problems.isEmpty()) {
                int n = problems.size();
                List<String> listed = problems.subList(0, Math.min(n, MAX_LISTED_PROBLEMS));
                String message =
                    "the Group was not registered: "
                        + String.join("; ", listed)
                        + (n > listed.size() ? "; and " + (n - listed.size()) + " more" : "");
                ctx.fail(
                    422,
                    new GatewayException(
                        IssueType.PROCESSING, message, "cohort refused: " + n + " problems"));
                return;
              }
              Optional<String> name =
                  Optional.ofNullable(group.getName()).filter(s -> !s.isBlank());
              cohorts
                  .register(
                      caller.organisation(), caller.clientId(), name, numbers, clock.instant())
                  .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
                  .onSuccess(
                      cohort ->
                          calls.audited(
                              ctx,
                              state,
                              201,
                              "cohort " + cohort.id() + " of " + numbers.size() + " registered",
                              () -> {
                                ctx.response()
                                    .putHeader(
                                        "Location", publicUrl + "/fhir/Group/" + cohort.id());
                                Outcomes.sendFhir(ctx, 201, CohortGroups.of(cohort, numbers));
                              }));
            });
  }

  // --- GET /fhir/Group/{id} ---

  public void read(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-read";
    withCohort(
        ctx,
        state,
        cohort ->
            cohorts
                .members(cohort.id(), 0, cohort.members())
                .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
                .onSuccess(
                    numbers ->
                        calls.audited(
                            ctx,
                            state,
                            200,
                            "cohort " + cohort.id() + " read",
                            () -> Outcomes.sendFhir(ctx, 200, CohortGroups.of(cohort, numbers)))));
  }

  // --- DELETE /fhir/Group/{id} ---

  /** The cohort, its jobs and their files go: NHS numbers are not kept longer than needed. */
  public void delete(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-delete";
    Optional<UUID> id = CohortCalls.uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, CohortCalls.noSuchGroup());
      return;
    }
    cohorts
        .delete(id.get(), state.caller.organisation())
        .compose(
            jobsDeleted -> {
              if (jobsDeleted.isEmpty()) {
                return Future.failedFuture(
                    new GatewayException(
                        404,
                        IssueType.NOTFOUND,
                        CohortCalls.noSuchGroup().getMessage(),
                        "no such cohort"));
              }
              List<Future<Void>> files = new ArrayList<>();
              jobsDeleted.get().forEach(job -> files.add(runner.deleteFiles(job)));
              return Future.all(files).map(jobsDeleted.get().size());
            })
        .onFailure(e -> CohortCalls.failWith(ctx, e))
        .onSuccess(
            n ->
                calls.audited(
                    ctx,
                    state,
                    204,
                    "cohort " + id.get() + " deleted with its " + n + " jobs and their files",
                    () -> Outcomes.noStore(ctx.response()).setStatusCode(204).end()));
  }

  // --- GET or POST /fhir/Group/{id}/$export and $summary ---

  public void kickOff(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    String operation = ctx.pathParam("operation");
    if (!EXPORT.equals(operation) && !SUMMARY.equals(operation)) {
      ctx.fail(
          404,
          new GatewayException(
              IssueType.NOTSUPPORTED, "only $export and $summary are served on Group"));
      return;
    }
    boolean export = EXPORT.equals(operation);
    state.action = export ? "cohort-export-start" : "cohort-summary-start";
    BulkKickOff asked;
    Optional<Set<String>> types;
    try {
      asked =
          BulkKickOff.read(
              ctx,
              export ? BulkKickOff.Operation.GROUP_EXPORT : BulkKickOff.Operation.SUMMARY,
              clock.instant());
      types = ExportScope.types(state.caller.scopes(), asked.types(), operation);
    } catch (GatewayException e) {
      ctx.fail(e);
      return;
    }
    withCohort(ctx, state, cohort -> start(ctx, state, export, cohort, asked, types));
  }

  // --- GET or POST /fhir/Patient/$export ---

  /**
   * A patient-level export: the people of the caller's organisation's own cohorts, each once, as
   * they stand at the kick-off (a snapshot), each then decided by the agreements as a member of a
   * cohort is. An organisation that registered no cohort has no population here.
   */
  public void patientExport(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-export-start";
    BulkKickOff asked;
    Optional<Set<String>> types;
    try {
      asked = BulkKickOff.read(ctx, BulkKickOff.Operation.PATIENT_EXPORT, clock.instant());
      types = ExportScope.types(state.caller.scopes(), asked.types(), "Patient/" + EXPORT);
    } catch (GatewayException e) {
      ctx.fail(e);
      return;
    }
    Caller caller = state.caller;
    cohorts
        .people(caller.organisation())
        .compose(
            people -> {
              if (people == 0) {
                return Future.failedFuture(
                    new GatewayException(
                        422,
                        IssueType.NOTFOUND,
                        "Patient/$export exports the people of your organisation's registered"
                            + " cohorts, and it has none: register a Group first",
                        "no cohort registered"));
              }
              if (people > maxMembers) {
                return Future.failedFuture(
                    new GatewayException(
                        422,
                        IssueType.TOOCOSTLY,
                        "your organisation's cohorts hold "
                            + people
                            + " people, more than the "
                            + maxMembers
                            + " exported at once; export a Group instead",
                        "population over the cap"));
              }
              return cohorts.snapshot(
                  caller.organisation(), caller.clientId(), maxMembers, clock.instant());
            })
        .onFailure(e -> CohortCalls.failWith(ctx, e))
        .onSuccess(cohort -> start(ctx, state, true, cohort, asked, types));
  }

  /**
   * The job over a cohort, if an agreement could permit it and the client has room for it.
   *
   * @param types what the job writes: {@code _type} under the token's scopes ({@link ExportScope})
   */
  private void start(
      RoutingContext ctx,
      RequestState state,
      boolean export,
      Cohorts.Cohort cohort,
      BulkKickOff asked,
      Optional<Set<String>> types) {
    Caller caller = state.caller;
    cohorts
        .members(cohort.id(), 0, 1)
        .compose(
            first -> {
              List<String> refused =
                  first.isEmpty()
                      ? List.of()
                      : members.refusedForEveryone(caller, first.get(0), cohort.members());
              if (!refused.isEmpty()) {
                return Future.failedFuture(
                    new GatewayException(
                        403,
                        IssueType.FORBIDDEN,
                        "no data-sharing agreement permits a cohort export of "
                            + cohort.members()
                            + " people to you for this purpose",
                        String.join("\n", refused)));
              }
              return jobs.active(caller.clientId());
            })
        .compose(
            active -> {
              if (active >= maxJobsPerClient) {
                ctx.response().putHeader("Retry-After", "60");
                return Future.failedFuture(
                    new GatewayException(
                        429,
                        IssueType.THROTTLED,
                        "you have "
                            + active
                            + " jobs queued or running, the most allowed; wait for one to"
                            + " finish or cancel one",
                        "too many jobs"));
              }
              return jobs.create(
                  export ? ExportJobs.Kind.EXPORT : ExportJobs.Kind.SUMMARY,
                  cohort.id(),
                  caller,
                  types,
                  asked.since(),
                  publicUrl + ctx.request().uri(),
                  clock.instant(),
                  asked.includeHousehold(),
                  asked.elements(),
                  asked.notes());
            })
        .onFailure(e -> CohortCalls.failWith(ctx, e))
        .onSuccess(
            job ->
                calls.audited(
                    ctx,
                    state,
                    202,
                    (export ? "cohort export " : "cohort summary ")
                        + job.id()
                        + " started over cohort "
                        + cohort.id()
                        + " of "
                        + cohort.members()
                        + (asked.includeHousehold() ? ", with each member's household" : "")
                        + (asked.notes().isEmpty()
                            ? ""
                            : "; " + asked.notes().size() + " parameters ignored (lenient)"),
                    () -> {
                      runner.wake();
                      Outcomes.noStore(ctx.response())
                          .setStatusCode(202)
                          .putHeader("Content-Location", statusUrl(job.id()))
                          .end();
                    }));
  }

  private String statusUrl(UUID job) {
    return publicUrl + "/fhir/bulk-status/" + job;
  }

  // --- shared ---

  private void withCohort(RoutingContext ctx, RequestState state, Consumer<Cohorts.Cohort> then) {
    Optional<UUID> id = CohortCalls.uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, CohortCalls.noSuchGroup());
      return;
    }
    cohorts
        .find(id.get(), state.caller.organisation())
        .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
        .onSuccess(
            cohort -> {
              if (cohort.isEmpty()) {
                ctx.fail(404, CohortCalls.noSuchGroup());
              } else {
                then.accept(cohort.get());
              }
            });
  }
}
