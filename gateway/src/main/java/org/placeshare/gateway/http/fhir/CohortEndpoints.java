package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.cohort.CohortSummary;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * Cohorts and bulk export, in the FHIR Bulk Data pattern: {@code POST /fhir/Group} registers a
 * cohort of NHS numbers; {@code GET /fhir/Group/{id}/$export} (or {@code $summary}) with {@code
 * Prefer: respond-async} starts a job and answers 202 with its status URL; the status URL answers
 * 202 with {@code X-Progress} until the job is done, then the manifest (or the figures); files are
 * fetched with the same client's token; DELETE on the status URL cancels. Every call is audited.
 */
public final class CohortEndpoints {

  static final String EXPORT = "$export";
  static final String SUMMARY = "$summary";

  /** A Group beyond this many bytes per member, plus room for the rest, is not a real one. */
  static final int BYTES_PER_MEMBER = 256;

  /** More problems than this in one Group are summed up, not each listed. */
  static final int MAX_LISTED_PROBLEMS = 50;

  private static final Set<String> NDJSON =
      Set.of("application/fhir+ndjson", "application/ndjson", "ndjson");

  private final Vertx vertx;
  private final Cohorts cohorts;
  private final ExportJobs jobs;
  private final ExportRunner runner;
  private final MemberRelease members;
  private final AuditLog audit;
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
    this.audit = audit;
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
    vertx
        .executeBlocking(() -> parseGroup(body), false)
        .onFailure(e -> ctx.fail(400, groupUnreadable(e)))
        .onSuccess(
            group -> {
              List<String> problems = new ArrayList<>();
              List<NhsNumber> numbers = members(group, problems);
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
                  .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
                  .onSuccess(
                      cohort ->
                          audited(
                              ctx,
                              state,
                              201,
                              "cohort " + cohort.id() + " of " + numbers.size() + " registered",
                              () -> {
                                ctx.response()
                                    .putHeader(
                                        "Location", publicUrl + "/fhir/Group/" + cohort.id());
                                Outcomes.sendFhir(
                                    ctx.response().setStatusCode(201),
                                    Fhir.encode(group(cohort, numbers)));
                              }));
            });
  }

  private static Group parseGroup(String body) {
    IParser parser = Fhir.json().setParserErrorHandler(new StrictErrorHandler());
    return parser.parseResource(Group.class, body);
  }

  private static GatewayException groupUnreadable(Throwable e) {
    String why =
        e instanceof DataFormatException
            ? e.getMessage()
            : "the body is not a FHIR R4 Group in JSON";
    return new GatewayException(IssueType.STRUCTURE, "expected a FHIR R4 Group in JSON: " + why);
  }

  /**
   * The members as NHS numbers; every problem (not just the first) is added to {@code problems}.
   */
  private List<NhsNumber> members(Group group, List<String> problems) {
    if (group.getType() != Group.GroupType.PERSON) {
      problems.add("Group.type: expected person");
    }
    if (group.hasActual() && !group.getActual()) {
      problems.add("Group.actual: expected true (a list of people, not a definition)");
    }
    if (group.hasName() && group.getName().length() > 200) {
      problems.add("Group.name: expected at most 200 characters");
    }
    int count = group.getMember().size();
    if (count == 0 || count > maxMembers) {
      problems.add("Group.member: expected 1 to " + maxMembers + " members, got " + count);
      return List.of();
    }
    List<NhsNumber> numbers = new ArrayList<>(count);
    Map<NhsNumber, Integer> seen = new HashMap<>();
    for (int i = 0; i < count; i++) {
      Group.GroupMemberComponent m = group.getMember().get(i);
      String at = "Group.member[" + i + "]";
      if (m.hasInactive() && m.getInactive()) {
        problems.add(at + ".inactive: inactive members are not taken; leave them out");
        continue;
      }
      Identifier id = m.getEntity().getIdentifier();
      if (!Fhir.NHS_NUMBER_SYSTEM.equals(id.getSystem()) || !id.hasValue()) {
        problems.add(
            at + ".entity.identifier: expected system " + Fhir.NHS_NUMBER_SYSTEM + " and a value");
        continue;
      }
      NhsNumber number;
      try {
        number = NhsNumber.parse(id.getValue());
      } catch (InvalidNhsNumberException e) {
        problems.add(at + ".entity.identifier.value: " + e.getMessage());
        continue;
      }
      Integer first = seen.putIfAbsent(number, i);
      if (first != null) {
        problems.add(at + ": the same NHS number as Group.member[" + first + "]");
        continue;
      }
      numbers.add(number);
    }
    return numbers;
  }

  private static Group group(Cohorts.Cohort cohort, List<NhsNumber> numbers) {
    Group group = new Group();
    group.setId(cohort.id().toString());
    group.getMeta().setLastUpdated(Date.from(cohort.created()));
    group.setType(Group.GroupType.PERSON).setActual(true).setQuantity(cohort.members());
    cohort.name().ifPresent(group::setName);
    group
        .getManagingEntity()
        .setIdentifier(
            new Identifier().setSystem(Fhir.ODS_SYSTEM).setValue(cohort.organisation().value()));
    for (NhsNumber n : numbers) {
      group
          .addMember()
          .getEntity()
          .setIdentifier(new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(n.toString()));
    }
    return group;
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
                .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
                .onSuccess(
                    numbers ->
                        audited(
                            ctx,
                            state,
                            200,
                            "cohort " + cohort.id() + " read",
                            () ->
                                Outcomes.sendFhir(
                                    ctx.response().setStatusCode(200),
                                    Fhir.encode(group(cohort, numbers))))));
  }

  // --- DELETE /fhir/Group/{id} ---

  /** The cohort, its jobs and their files go: NHS numbers are not kept longer than needed. */
  public void delete(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-delete";
    Optional<UUID> id = uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, noSuchGroup());
      return;
    }
    cohorts
        .delete(id.get(), state.caller.organisation())
        .compose(
            jobsDeleted -> {
              if (jobsDeleted.isEmpty()) {
                return Future.failedFuture(
                    new GatewayException(
                        404, IssueType.NOTFOUND, noSuchGroup().getMessage(), "no such cohort"));
              }
              List<Future<Void>> files = new ArrayList<>();
              jobsDeleted.get().forEach(job -> files.add(runner.deleteFiles(job)));
              return Future.all(files).map(jobsDeleted.get().size());
            })
        .onFailure(e -> failWith(ctx, e))
        .onSuccess(
            n ->
                audited(
                    ctx,
                    state,
                    204,
                    "cohort " + id.get() + " deleted with its " + n + " jobs and their files",
                    () -> Outcomes.noStore(ctx.response()).setStatusCode(204).end()));
  }

  // --- GET /fhir/Group/{id}/$export and $summary ---

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
    String prefer = ctx.request().getHeader("Prefer");
    if (prefer == null || !prefer.contains("respond-async")) {
      ctx.fail(
          400,
          new GatewayException(
              IssueType.INVALID,
              "Prefer: respond-async is required: " + operation + " runs as a job"));
      return;
    }
    Optional<Set<String>> types;
    Optional<Instant> since;
    try {
      String format = ctx.request().getParam("_outputFormat");
      if (format != null && !NDJSON.contains(format)) {
        throw new GatewayException(
            IssueType.NOTSUPPORTED, "_outputFormat: only application/fhir+ndjson is produced");
      }
      if (!export && ctx.request().getParam("_type") != null) {
        throw new GatewayException(
            IssueType.NOTSUPPORTED, "_type: $summary counts Patients and Conditions only");
      }
      types =
          export
              ? Optional.ofNullable(PersonViewHandler.types(ctx.request().getParam("_type")))
              : Optional.of(Set.of("Patient", "Condition"));
      since = Optional.ofNullable(PersonViewHandler.since(ctx.request().getParam("_since")));
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    Caller caller = state.caller;
    withCohort(
        ctx,
        state,
        cohort ->
            cohorts
                .members(cohort.id(), 0, 1)
                .compose(
                    first -> {
                      List<String> refused =
                          members.refusedForEveryone(caller, first.get(0), cohort.members());
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
                          since,
                          publicUrl + ctx.request().uri(),
                          clock.instant());
                    })
                .onFailure(e -> failWith(ctx, e))
                .onSuccess(
                    job ->
                        audited(
                            ctx,
                            state,
                            202,
                            (export ? "cohort export " : "cohort summary ")
                                + job.id()
                                + " started over cohort "
                                + cohort.id()
                                + " of "
                                + cohort.members(),
                            () -> {
                              runner.wake();
                              Outcomes.noStore(ctx.response())
                                  .setStatusCode(202)
                                  .putHeader("Content-Location", statusUrl(job.id()))
                                  .end();
                            })));
  }

  private String statusUrl(UUID job) {
    return publicUrl + "/fhir/bulk-status/" + job;
  }

  // --- GET and DELETE /fhir/bulk-status/{job} ---

  public void status(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-job-status";
    withJob(
        ctx,
        state,
        job ->
            cohorts
                .find(job.cohort(), job.caller().organisation())
                .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
                .onSuccess(
                    cohort -> {
                      int size = cohort.map(Cohorts.Cohort::members).orElse(0);
                      switch (job.status()) {
                        case QUEUED, RUNNING ->
                            audited(
                                ctx,
                                state,
                                202,
                                "job " + job.id() + " in progress",
                                () ->
                                    Outcomes.noStore(ctx.response())
                                        .setStatusCode(202)
                                        .putHeader(
                                            "X-Progress",
                                            job.position() + " of " + size + " members done")
                                        .putHeader("Retry-After", "2")
                                        .end());
                        case COMPLETE ->
                            audited(
                                ctx,
                                state,
                                200,
                                "job " + job.id() + " complete",
                                () ->
                                    Outcomes.noStore(ctx.response())
                                        .setStatusCode(200)
                                        .putHeader("Content-Type", "application/json")
                                        .end(
                                            (job.kind() == ExportJobs.Kind.EXPORT
                                                    ? manifest(job, size)
                                                    : summary(job))
                                                .encodePrettily()));
                        case FAILED ->
                            ctx.fail(
                                500,
                                new GatewayException(
                                    IssueType.EXCEPTION,
                                    "the job failed: " + job.error().orElse("no reason kept")));
                        default -> ctx.fail(404, noSuchJob());
                      }
                    }));
  }

  public void cancel(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-job-cancel";
    withJob(
        ctx,
        state,
        job ->
            jobs.cancel(job.id(), clock.instant())
                .compose(v -> runner.deleteFiles(job.id()))
                .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
                .onSuccess(
                    v ->
                        audited(
                            ctx,
                            state,
                            202,
                            "job " + job.id() + " cancelled; its files deleted",
                            () -> Outcomes.noStore(ctx.response()).setStatusCode(202).end())));
  }

  private JsonObject manifest(ExportJobs.Job job, int size) {
    JsonObject progress = job.progress();
    JsonObject files = progress.getJsonObject("files", new JsonObject());
    JsonArray output = new JsonArray();
    JsonArray errors = new JsonArray();
    for (String type : files.fieldNames().stream().sorted().toList()) {
      JsonObject entry =
          new JsonObject()
              .put("type", type)
              .put("url", publicUrl + "/fhir/bulk-files/" + job.id() + "/" + type + ".ndjson")
              .put("count", files.getJsonObject(type).getInteger("count"));
      (type.equals("OperationOutcome") ? errors : output).add(entry);
    }
    JsonObject counts = progress.getJsonObject("counts", new JsonObject());
    int leftOut =
        counts.getInteger("leftOut.flagged", 0)
            + counts.getInteger("leftOut.refused", 0)
            + counts.getInteger("leftOut.not_held", 0);
    return new JsonObject()
        .put("transactionTime", job.created().toString())
        .put("request", job.request())
        .put("requiresAccessToken", true)
        .put("output", output)
        .put("error", errors)
        .put(
            "extension",
            new JsonObject()
                .put(
                    COUNTS_EXTENSION,
                    new JsonObject()
                        .put("members", size)
                        .put("included", counts.getInteger("released", 0))
                        .put("leftOut", leftOut)
                        .put("failed", counts.getInteger("failed", 0))));
  }

  /** Where the manifest says how many members were included and left out (never who). */
  static final String COUNTS_EXTENSION =
      "https://placeshare.example/fhir/StructureDefinition/cohort-counts";

  private JsonObject summary(ExportJobs.Job job) {
    return CohortSummary.publish(
            job.progress().getJsonObject("tallies", new JsonObject()),
            runner.settings().suppressBelow())
        .put("transactionTime", job.created().toString())
        .put("request", job.request());
  }

  // --- GET /fhir/bulk-files/{job}/{Type}.ndjson ---

  public void download(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    state.action = "cohort-export-download";
    String name = ctx.pathParam("file");
    withJob(
        ctx,
        state,
        job -> {
          Optional<Path> file =
              job.status() == ExportJobs.Status.COMPLETE && name.endsWith(".ndjson")
                  ? runner.file(job.id(), name.substring(0, name.length() - ".ndjson".length()))
                  : Optional.empty();
          if (file.isEmpty()) {
            ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no such file in this export"));
            return;
          }
          // Records leave here: the download is audited before a byte is sent.
          audited(
              ctx,
              state,
              200,
              "file " + name + " of export " + job.id() + " downloaded",
              () ->
                  Outcomes.noStore(ctx.response())
                      .putHeader("Content-Type", "application/fhir+ndjson")
                      .sendFile(file.get().toString()));
        });
  }

  // --- shared ---

  private void withCohort(RoutingContext ctx, RequestState state, Consumer<Cohorts.Cohort> then) {
    Optional<UUID> id = uuid(ctx.pathParam("id"));
    if (id.isEmpty()) {
      ctx.fail(404, noSuchGroup());
      return;
    }
    cohorts
        .find(id.get(), state.caller.organisation())
        .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
        .onSuccess(
            cohort -> {
              if (cohort.isEmpty()) {
                ctx.fail(404, noSuchGroup());
              } else {
                then.accept(cohort.get());
              }
            });
  }

  /**
   * The job, if it is this client's and was started for this purpose: to any other client, or to a
   * token of this client for another purpose, no such job exists.
   */
  private void withJob(RoutingContext ctx, RequestState state, Consumer<ExportJobs.Job> then) {
    Optional<UUID> id = uuid(ctx.pathParam("job"));
    if (id.isEmpty()) {
      ctx.fail(404, noSuchJob());
      return;
    }
    Caller caller = state.caller;
    jobs.find(id.get())
        .onFailure(e -> ctx.fail(503, storageUnavailable(e)))
        .onSuccess(
            job -> {
              if (job.isEmpty()
                  || job.get().status() == ExportJobs.Status.CANCELLED
                  || !job.get().caller().clientId().equals(caller.clientId())
                  || !job.get().caller().organisation().equals(caller.organisation())) {
                ctx.fail(404, noSuchJob());
              } else if (!job.get().caller().purpose().equals(caller.purpose())) {
                // Owned by the purpose it was started under too: records released for planning
                // are not for a token of the same client asking for another purpose.
                ctx.fail(
                    404,
                    new GatewayException(
                        IssueType.NOTFOUND,
                        noSuchJob().getMessage(),
                        "job started for purpose "
                            + job.get().caller().purpose()
                            + ", asked for with "
                            + caller.purpose()));
              } else {
                then.accept(job.get());
              }
            });
  }

  private static Optional<UUID> uuid(String text) {
    try {
      return text != null && text.length() == 36
          ? Optional.of(UUID.fromString(text))
          : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Audits the call as permitted, then answers; with the audit down, 503 and nothing sent. */
  private void audited(
      RoutingContext ctx, RequestState state, int status, String detail, Runnable send) {
    audit
        .append(
            state.event(
                clock.instant(), AuditEvent.Outcome.PERMITTED, status, Map.of(), List.of(), detail))
        .onSuccess(seq -> send.run())
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)));
  }

  private static void failWith(RoutingContext ctx, Throwable e) {
    if (e instanceof GatewayException g && g.status() > 0) {
      ctx.fail(g);
    } else {
      ctx.fail(503, storageUnavailable(e));
    }
  }

  private static GatewayException noSuchGroup() {
    return new GatewayException(IssueType.NOTFOUND, "no such Group for your organisation");
  }

  private static GatewayException noSuchJob() {
    return new GatewayException(IssueType.NOTFOUND, "no such job for your client and purpose");
  }

  private static GatewayException storageUnavailable(Throwable e) {
    return new GatewayException(
        IssueType.TRANSIENT,
        "the gateway's database is unavailable; try again shortly",
        e.getClass().getSimpleName());
  }
}
