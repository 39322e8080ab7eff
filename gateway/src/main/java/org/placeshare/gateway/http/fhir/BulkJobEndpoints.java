package org.placeshare.gateway.http.fhir;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.audit.WitnessingBehind;
import org.placeshare.gateway.cohort.CohortSummary;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.ExportStore;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.HttpDate;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.policy.identity.Caller;

/**
 * The bulk jobs of the FHIR Bulk Data pattern, once started from a cohort: the status URL answers
 * 202 with {@code X-Progress} until the job is done, then the manifest (or the figures); files are
 * fetched with the same client's token; DELETE on the status URL cancels. Every call is audited.
 */
public final class BulkJobEndpoints {

  private final Cohorts cohorts;
  private final ExportJobs jobs;
  private final ExportRunner runner;
  private final CohortCalls calls;
  private final String publicUrl;
  private final Clock clock;

  /** A file is a release too: while witnessing fails closed and is behind, none is sent. */
  private final Optional<Witnessing> witnessing;

  public BulkJobEndpoints(
      Cohorts cohorts,
      ExportJobs jobs,
      ExportRunner runner,
      AuditLog audit,
      String publicUrl,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.cohorts = cohorts;
    this.witnessing = witnessing;
    this.jobs = jobs;
    this.runner = runner;
    this.calls = new CohortCalls(audit, clock);
    this.publicUrl = publicUrl;
    this.clock = clock;
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
                .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
                .onSuccess(
                    cohort -> {
                      int size = cohort.map(Cohorts.Cohort::members).orElse(0);
                      switch (job.status()) {
                        case QUEUED, RUNNING ->
                            calls.audited(
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
                            calls.audited(
                                ctx,
                                state,
                                200,
                                "job " + job.id() + " complete",
                                () ->
                                    expires(Outcomes.noStore(ctx.response()), job)
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
                        default -> ctx.fail(404, CohortCalls.noSuchJob());
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
                .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
                .onSuccess(
                    v ->
                        calls.audited(
                            ctx,
                            state,
                            202,
                            "job " + job.id() + " cancelled by the client; its files deleted",
                            () -> Outcomes.noStore(ctx.response()).setStatusCode(202).end())));
  }

  /** The manifest's {@code Expires}: when the job and its files are deleted. */
  private static HttpServerResponse expires(HttpServerResponse response, ExportJobs.Job job) {
    job.expires().ifPresent(t -> response.putHeader("Expires", HttpDate.of(t)));
    return response;
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
    JsonObject extension =
        new JsonObject()
            .put(
                COUNTS_EXTENSION,
                new JsonObject()
                    .put("members", size)
                    .put("included", counts.getInteger("released", 0))
                    .put("leftOut", leftOut)
                    .put("failed", counts.getInteger("failed", 0)));
    if (job.includeHousehold()) {
      // The other household members, counted as the cohort's are: one count for all left out.
      extension.put(
          HOUSEHOLD_COUNTS_EXTENSION,
          new JsonObject()
              .put("included", counts.getInteger("household.released", 0))
              .put(
                  "leftOut",
                  counts.getInteger("household.leftOut.flagged", 0)
                      + counts.getInteger("household.leftOut.refused", 0)
                      + counts.getInteger("household.leftOut.not_held", 0))
              .put("failed", counts.getInteger("household.failed", 0))
              .put("overCap", counts.getInteger("household.overCap", 0)));
    }
    return new JsonObject()
        .put("transactionTime", job.created().toString())
        .put("request", job.request())
        .put("requiresAccessToken", true)
        .put("output", output)
        .put("error", errors)
        .put("extension", extension);
  }

  /**
   * Where the manifest counts the other members of the cohort's households: included, left out,
   * failed, and members whose household was over the cap (their own records only).
   */
  static final String HOUSEHOLD_COUNTS_EXTENSION =
      "https://placeshare.example/fhir/StructureDefinition/cohort-household-counts";

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
    if (!acceptsNdjson(ctx.request().headers().getAll("Accept"))) {
      ctx.fail(
          406,
          new GatewayException(
              IssueType.NOTSUPPORTED, "Accept: the export's files are application/fhir+ndjson"));
      return;
    }
    withJob(
        ctx,
        state,
        job -> {
          if (job.status() != ExportJobs.Status.COMPLETE || !name.endsWith(".ndjson")) {
            ctx.fail(404, noSuchFile());
            return;
          }
          runner
              .file(job.id(), name.substring(0, name.length() - ".ndjson".length()))
              .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
              .onSuccess(file -> send(ctx, state, job, name, file));
        });
  }

  private void send(
      RoutingContext ctx,
      RequestState state,
      ExportJobs.Job job,
      String name,
      Optional<ExportStore.StoredFile> file) {
    if (file.isEmpty()) {
      ctx.fail(404, noSuchFile());
      return;
    }
    Optional<WitnessingBehind> behind = witnessing.flatMap(Witnessing::refusal);
    if (behind.isPresent()) {
      ctx.fail(503, behind.get());
      return;
    }
    // Records leave here: the download is audited before a byte is sent.
    calls.audited(
        ctx,
        state,
        200,
        "file " + name + " of export " + job.id() + " downloaded",
        () ->
            file.get()
                .send(
                    Outcomes.noStore(ctx.response())
                        .putHeader("Content-Type", "application/fhir+ndjson"))
                .onFailure(
                    e -> {
                      // Before the first byte, an answer; after it, the store has reset the
                      // response, and the client sees a body shorter than its length.
                      if (!ctx.response().headWritten()) {
                        ctx.fail(503, CohortCalls.storageUnavailable(e));
                      }
                    }));
  }

  private static GatewayException noSuchFile() {
    return new GatewayException(IssueType.NOTFOUND, "no such file in this export");
  }

  /** Media ranges under which an NDJSON file may be sent ({@code Accept} absent: any). */
  private static final Set<String> NDJSON_RANGES =
      Set.of("application/fhir+ndjson", "application/ndjson", "application/*", "*/*");

  static boolean acceptsNdjson(List<String> accept) {
    if (accept.isEmpty()) {
      return true;
    }
    for (String header : accept) {
      for (String range : header.split(",", -1)) {
        if (NDJSON_RANGES.contains(range.split(";", 2)[0].strip().toLowerCase(Locale.ROOT))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The job, if it is this client's and was started for this purpose, in this role, by this user:
   * to any other client, or to a token of this client for another purpose, role or user, no such
   * job exists.
   */
  private void withJob(RoutingContext ctx, RequestState state, Consumer<ExportJobs.Job> then) {
    Optional<UUID> id = CohortCalls.uuid(ctx.pathParam("job"));
    if (id.isEmpty()) {
      ctx.fail(404, CohortCalls.noSuchJob());
      return;
    }
    Caller caller = state.caller;
    jobs.find(id.get())
        .onFailure(e -> ctx.fail(503, CohortCalls.storageUnavailable(e)))
        .onSuccess(
            job -> {
              if (job.isEmpty()
                  || job.get().status() == ExportJobs.Status.CANCELLED
                  || !job.get().caller().clientId().equals(caller.clientId())
                  || !job.get().caller().organisation().equals(caller.organisation())) {
                ctx.fail(404, CohortCalls.noSuchJob());
              } else if (!job.get().caller().purpose().equals(caller.purpose())) {
                // Owned by the purpose it was started under too: records released for planning
                // are not for a token of the same client asking for another purpose.
                ctx.fail(404, notOwned("purpose", job.get().caller().purpose(), caller.purpose()));
              } else if (!job.get().caller().role().equals(caller.role())) {
                // And by the role: the agreements released them to that role, not to the client's
                // others.
                ctx.fail(404, notOwned("role", job.get().caller().role(), caller.role()));
              } else if (!job.get().caller().userId().equals(caller.userId())) {
                // And by the user a user-facing client vouched for, as the audit names them. (A
                // system client's user is the client itself, so its own tokens all match.)
                ctx.fail(404, notOwned("user", job.get().caller().userId(), caller.userId()));
              } else {
                then.accept(job.get());
              }
            });
  }

  /** No such job, to the caller; the audit says which of the owner's marks did not match. */
  private static GatewayException notOwned(String what, Object started, Object asked) {
    return new GatewayException(
        IssueType.NOTFOUND,
        CohortCalls.noSuchJob().getMessage(),
        "job started for " + what + " " + started + ", asked for with " + asked);
  }
}
