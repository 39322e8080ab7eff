package org.placeshare.gateway.cohort;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.ExportedFile;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.release.ReadAhead;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * Runs bulk jobs, one at a time per gateway instance, a chunk of members at a time: each member
 * decided and fetched (at most {@code concurrency} at once, so sources see bounded load), the
 * released members' audit events made durable, their records appended to the files (or tallied, for
 * a summary), then a checkpoint. Memory holds one chunk, whatever the cohort's size.
 */
public final class ExportRunner {

  private static final Logger LOG = Logger.getLogger(ExportRunner.class.getName());

  /**
   * Members per chunk for each member in flight: a chunk is one checkpoint, one fsync per file and
   * one wait for its slowest member, so it is several times the concurrency.
   */
  static final int CHUNK_PER_WORKER = 8;

  /** How often an idle instance looks for a job, and sweeps expired ones. */
  static final long POLL_MILLIS = 1000;

  /**
   * @param concurrency members decided and fetched at once (a chunk)
   * @param lease how long a claimed job stays this instance's without a checkpoint
   * @param keep how long a finished job's files are kept
   * @param suppressBelow population figures under this are suppressed
   */
  public record Settings(int concurrency, Duration lease, Duration keep, int suppressBelow) {}

  private final Vertx vertx;
  // Every poll runs here, whether the timer or a request's wake-up starts it: busy is then read
  // and written on one thread, and two polls can never both claim a job.
  private final Context context;
  private final ExportJobs jobs;
  private final Cohorts cohorts;
  private final MemberRelease members;
  private final AuditLog audit;
  private final ExportFiles files;
  private final ChunkRecorder recorder;
  private final ExportHouseholds households;
  private final Settings settings;
  private final Metrics metrics;
  private final Function<Caller, Future<Optional<String>>> standing;
  private final Clock clock;
  private final String owner = UUID.randomUUID().toString();

  private long timer = -1;
  private boolean busy;
  private boolean stopping;
  private Promise<Void> idle;

  public ExportRunner(
      Vertx vertx,
      ExportJobs jobs,
      Cohorts cohorts,
      MemberRelease members,
      Pool pool,
      HouseholdRegister households,
      AuditLog audit,
      ExportStore store,
      Settings settings,
      Metrics metrics,
      Function<Caller, Future<Optional<String>>> standing,
      Clock clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.jobs = jobs;
    this.cohorts = cohorts;
    this.members = members;
    this.audit = audit;
    this.files = new ExportFiles(store);
    this.recorder = new ChunkRecorder(vertx, audit, files, metrics, clock);
    this.households = new ExportHouseholds(pool, households, members);
    this.settings = settings;
    this.metrics = metrics;
    this.standing = standing;
    this.clock = clock;
  }

  public Settings settings() {
    return settings;
  }

  /** The id under which this runner leases jobs. */
  public String owner() {
    return owner;
  }

  /** The job's file of one type, if it exists (the name is checked first). */
  public Future<Optional<ExportStore.StoredFile>> file(UUID job, String type) {
    return files.file(job, type);
  }

  /** Deletes a cancelled job's files at once; the runner notices the cancellation too. */
  public Future<Void> deleteFiles(UUID job) {
    return vertx.executeBlocking(
        () -> {
          files.delete(job);
          return null;
        },
        false);
  }

  public void start() {
    context.runOnContext(v -> timer = vertx.setPeriodic(10, POLL_MILLIS, t -> poll()));
  }

  /** A job was queued: look now, not at the next tick. */
  public void wake() {
    context.runOnContext(v -> poll());
  }

  /**
   * Stops taking jobs; the chunk in hand finishes and is checkpointed, then this instance's leases
   * are given up so the jobs resume at once elsewhere or at the next start.
   */
  public Future<Void> stop() {
    return Future.<Void>future(onContext -> context.runOnContext(v -> onContext.complete()))
        .compose(
            v -> {
              stopping = true;
              if (timer >= 0) {
                vertx.cancelTimer(timer);
              }
              if (!busy) {
                return Future.<Void>succeededFuture();
              }
              idle = Promise.promise();
              return idle.future();
            })
        .transform(x -> jobs.release(owner))
        .otherwiseEmpty();
  }

  private void poll() {
    if (busy || stopping) {
      return;
    }
    busy = true;
    jobs.sweep(clock.instant())
        .compose(
            expired -> {
              expired.forEach(this::deleteFiles);
              return jobs.claim(owner, settings.lease());
            })
        .compose(job -> job.map(this::start).orElse(Future.succeededFuture()))
        .recover(e -> e instanceof Stopped ? Future.succeededFuture() : Future.failedFuture(e))
        // Anything else (the audit log or the database unavailable) pauses the job: its lease
        // lapses and it resumes from the last checkpoint.
        .onFailure(e -> LOG.log(Level.WARNING, "bulk job paused: " + e.getClass().getSimpleName()))
        .onComplete(
            x -> {
              busy = false;
              if (idle != null) {
                idle.tryComplete();
              }
            });
  }

  /**
   * Goes on only while the job's client stands as it did at the kick-off: registered for the same
   * organisation and purpose on this instance, and neither suspended nor removed anywhere in the
   * fleet. Asked before every chunk, so a suspension made through any instance stops the job here
   * before its next chunk.
   */
  private Future<Void> standing(ExportJobs.Job job, Supplier<Future<Void>> go) {
    return standing
        .apply(job.caller())
        .compose(
            refusal -> {
              if (refusal.isEmpty()) {
                return go.get();
              }
              String why =
                  refusal.get().startsWith("its client is not registered")
                      ? "client "
                          + job.caller().clientId()
                          + " is no longer registered for "
                          + job.caller().organisation().value()
                          + " and purpose "
                          + job.caller().purpose().code()
                      : refusal.get();
              return fail(job, why).compose(v -> Future.failedFuture(new Stopped()));
            });
  }

  private Future<Void> start(ExportJobs.Job job) {
    JsonObject progress = job.progress();
    return cohorts
        .find(job.cohort(), job.caller().organisation())
        .compose(
            cohort -> {
              if (cohort.isEmpty()) {
                return fail(job, "the cohort no longer exists");
              }
              return vertx
                  .executeBlocking(
                      () -> {
                        if (job.kind() == ExportJobs.Kind.EXPORT) {
                          files.resume(job.id(), JobProgress.files(progress));
                        }
                        return null;
                      },
                      false)
                  // Who the chunks after the checkpoint decided is forgotten with their lines.
                  .compose(v -> households.resume(job))
                  .compose(
                      v -> chunk(job, cohort.get().members(), job.position(), progress),
                      // Our own words for a checkpoint the files no longer match; only the kind
                      // of anything else, which may name the server's folders.
                      e ->
                          fail(
                              job,
                              "the export's files could not be prepared: "
                                  + (e instanceof IllegalStateException
                                          || e instanceof ExportStoreException
                                      ? e.getMessage()
                                      : e.getClass().getSimpleName())));
            });
  }

  private Future<Void> chunk(ExportJobs.Job job, int size, int position, JsonObject progress) {
    if (stopping) {
      return Future.succeededFuture();
    }
    return standing(job, () -> members(job, size, position, progress));
  }

  private Future<Void> members(ExportJobs.Job job, int size, int position, JsonObject progress) {
    return cohorts
        .members(job.cohort(), position, settings.concurrency() * CHUNK_PER_WORKER)
        .compose(
            batch -> {
              if (batch.isEmpty()) {
                return finish(job, size, progress);
              }
              return releaseAll(job, size, batch)
                  .compose(
                      outcomes ->
                          households
                              .follow(job, size, batch, outcomes, settings.concurrency())
                              .compose(
                                  followed ->
                                      recorder
                                          .record(
                                              job,
                                              outcomes,
                                              followed,
                                              progress,
                                              settings.suppressBelow())
                                          .compose(
                                              v -> households.remember(job, position, followed)))
                              .recover(e -> unwritable(job, e)))
                  .compose(
                      v ->
                          jobs.checkpoint(
                              job.id(), owner, position + batch.size(), progress, settings.lease()))
                  .compose(
                      ours -> {
                        if (!ours) {
                          return cancelled(job);
                        }
                        return chunk(job, size, position + batch.size(), progress);
                      });
            });
  }

  /** Every member of the chunk, at most {@code concurrency} at once; outcomes in cohort order. */
  private Future<List<MemberRelease.Outcome>> releaseAll(
      ExportJobs.Job job, int size, List<NhsNumber> batch) {
    MemberRelease.Outcome[] outcomes = new MemberRelease.Outcome[batch.size()];
    AtomicInteger next = new AtomicInteger();
    // The chunk's register facts and standing consents in three queries, not three a member.
    return members
        .readAhead(batch)
        .compose(
            read -> {
              List<Future<Void>> workers = new ArrayList<>();
              for (int w = 0; w < Math.min(settings.concurrency(), batch.size()); w++) {
                workers.add(work(job, size, batch, outcomes, next, read));
              }
              return Future.all(workers);
            })
        .map(v -> List.of(outcomes));
  }

  private Future<Void> work(
      ExportJobs.Job job,
      int size,
      List<NhsNumber> batch,
      MemberRelease.Outcome[] outcomes,
      AtomicInteger next,
      ReadAhead read) {
    int i = next.getAndIncrement();
    if (i >= batch.size()) {
      return Future.succeededFuture();
    }
    return members
        .release(job, size, batch.get(i), job.types(), job.since(), read)
        .recover(MemberRelease::failedOrPaused)
        .compose(
            outcome -> {
              outcomes[i] = outcome;
              return work(job, size, batch, outcomes, next, read);
            });
  }

  private Future<Void> finish(ExportJobs.Job job, int size, JsonObject progress) {
    Instant now = clock.instant();
    JsonObject counts = JobProgress.object(progress, "counts");
    List<String> errors = new ArrayList<>(JobProgress.ignored(job.notes()));
    errors.addAll(JobProgress.sourceProblems(progress));
    // Each file's digest, read back from the bytes the download serves: the completion event binds
    // exactly what a client can fetch.
    Future<List<ExportedFile>> written =
        job.kind() == ExportJobs.Kind.EXPORT
            ? groups(job, "", progress)
                .compose(
                    v ->
                        vertx.executeBlocking(
                            () -> {
                              files.errors(job.id(), errors, JobProgress.files(progress));
                              return files.digests(job.id(), JobProgress.files(progress));
                            },
                            false))
                .recover(e -> unwritable(job, e).map(v -> List.<ExportedFile>of()))
            : Future.succeededFuture(List.of());
    return written
        .compose(
            digests ->
                audit.append(
                    JobEvents.finished(job, size, counts, progress, now).withFiles(digests)))
        .compose(seq -> jobs.complete(job.id(), owner, progress, now, now.plus(settings.keep())))
        .onSuccess(
            ours -> {
              if (ours) {
                metrics.cohortJob(job.kind().name().toLowerCase(Locale.ROOT), "complete");
              }
            })
        .compose(ours -> ours ? Future.<Void>succeededFuture() : cancelled(job));
  }

  /**
   * The job's households, a page at a time, each a Group of its released people in the Group file.
   * A job that does not follow households has none.
   */
  private Future<Void> groups(ExportJobs.Job job, String after, JsonObject progress) {
    if (!job.includeHousehold()) {
      return Future.succeededFuture();
    }
    return households
        .groups(job, after)
        .compose(
            page ->
                vertx
                    .executeBlocking(
                        () -> {
                          if (!page.groups().isEmpty()) {
                            files.append(
                                job.id(),
                                List.<List<Resource>>of(new ArrayList<>(page.groups())),
                                JobProgress.files(progress));
                          }
                          return null;
                        },
                        false)
                    .compose(
                        v ->
                            page.groups().size() < ExportHouseholds.GROUPS_PER_PAGE
                                ? Future.<Void>succeededFuture()
                                : groups(job, page.last().orElseThrow(), progress)));
  }

  /** The job has ended as failed; nothing more is done in this run. */
  private static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  private Future<Void> fail(ExportJobs.Job job, String why) {
    Instant now = clock.instant();
    LOG.warning("bulk job " + job.id() + " failed: " + why);
    metrics.cohortJob(job.kind().name().toLowerCase(Locale.ROOT), "failed");
    return jobs.fail(job.id(), owner, why, now, now.plus(settings.keep()))
        .compose(
            v ->
                audit.append(
                    JobEvents.job(
                        job,
                        AuditEvent.Outcome.FAILED,
                        500,
                        "job failed at member " + job.position() + " or later: " + why,
                        now)))
        .mapEmpty();
  }

  /**
   * A write failed. If the client cancelled the job meanwhile (its files were deleted under the
   * write), that is the cancel, not a failure; otherwise a disk that refuses the files will not
   * take them at the next try either: the job fails, saying so.
   */
  private Future<Void> unwritable(ExportJobs.Job job, Throwable e) {
    if (!(e instanceof UncheckedIOException)) {
      return Future.failedFuture(e);
    }
    return jobs.find(job.id())
        .compose(
            found ->
                isCancelled(found)
                    ? cancelled(job)
                    : fail(
                        job,
                        "the export's files could not be written"
                            + (e instanceof ExportStoreException ? ": " + e.getMessage() : "")))
        .compose(v -> Future.failedFuture(new Stopped()));
  }

  private static boolean isCancelled(Optional<ExportJobs.Job> found) {
    // Gone is cancelled too: the client deleted its cohort, and the cohort's jobs with it.
    return found.isEmpty() || found.get().status() == ExportJobs.Status.CANCELLED;
  }

  /**
   * The job was cancelled (or is no longer this instance's). A cancel is the client's, and said so
   * in the log, the metrics and the audit; its files go.
   */
  private Future<Void> cancelled(ExportJobs.Job job) {
    return jobs.find(job.id())
        .compose(
            found -> {
              if (!isCancelled(found)) {
                return Future.succeededFuture();
              }
              Instant now = clock.instant();
              LOG.info("bulk job " + job.id() + " cancelled by the client");
              metrics.cohortJob(job.kind().name().toLowerCase(Locale.ROOT), "cancelled");
              return deleteFiles(job.id())
                  .compose(
                      v ->
                          audit.append(
                              JobEvents.job(
                                  job,
                                  AuditEvent.Outcome.PERMITTED,
                                  202,
                                  "job cancelled by the client while it ran; nothing more"
                                      + " released, its files deleted",
                                  now)))
                  .mapEmpty();
            });
  }
}
