package org.placeshare.gateway.witness;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.placeshare.gateway.audit.Cosignature;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.SignedNote;
import org.placeshare.gateway.witness.AddCheckpointRequest.MalformedRequest;
import org.placeshare.gateway.witness.WitnessState.Cosigned;

/**
 * A transparency-log witness, C2SP tlog-witness: {@code POST /add-checkpoint} with the old size, a
 * consistency proof and a checkpoint signed by a log it trusts; it checks the checkpoint extends
 * the last one it cosigned for that log, records it, and answers its {@code cosignature/v1} (C2SP
 * tlog-cosignature). Its state is one row per log in its own tables. It sees checkpoints only
 * (origin, size, root): never a record or a person.
 *
 * @see <a href="https://c2sp.org/tlog-witness">C2SP tlog-witness</a>
 */
public final class WitnessServer {

  private static final Logger LOG = Logger.getLogger(WitnessServer.class.getName());

  /**
   * The largest request body: the old size line, 63 proof lines (45 bytes each) and a checkpoint
   * note at the signed-note cap ({@link SignedNote#MAX_NOTE_BYTES}), rounded up. Beyond: 413.
   */
  public static final int MAX_BODY_BYTES = SignedNote.MAX_NOTE_BYTES + 4 * 1024;

  /**
   * Split views kept per log, at most: each two notes of at most {@link SignedNote#MAX_NOTE_BYTES},
   * so ~13 MB of the witness's disk. One per (origin, size, root) and each signed by the log's key,
   * so only the log itself can fill it, and the first one is already the proof.
   */
  public static final int MAX_SPLIT_VIEWS_PER_LOG = 100;

  /**
   * The time a request has, from its headers, to send its whole body; then the connection is
   * closed. A checkpoint is a few hundred bytes: a client dribbling one would otherwise hold a
   * connection for as long as it keeps each gap under the idle timeout.
   */
  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);

  /** Warnings any client can cause (a proof that fails, a replayed split view): one a minute. */
  static final Duration WARNING_INTERVAL = Duration.ofMinutes(1);

  static final int MAX_URL_LENGTH = 1024;
  static final int MAX_HEADER_BYTES = 8 * 1024;
  static final int IDLE_SECONDS = 30;

  // The request body, as read by readBody, for the handler after it.
  private static final String BODY = "witness.body";

  private final WitnessConfig config;
  private final WitnessState state;
  private final Clock clock;
  private final ThrottledWarning proofFailures;
  private final ThrottledWarning replayedSplitViews;
  private HttpServer server;

  private WitnessServer(WitnessConfig config, WitnessState state, Clock clock) {
    this.config = config;
    this.state = state;
    this.clock = clock;
    this.proofFailures = new ThrottledWarning(LOG, clock, WARNING_INTERVAL);
    this.replayedSplitViews = new ThrottledWarning(LOG, clock, WARNING_INTERVAL);
  }

  /** Starts the witness on the system clock. */
  public static Future<WitnessServer> start(Vertx vertx, WitnessConfig config, Pool pool) {
    return start(vertx, config, pool, Clock.systemUTC());
  }

  /**
   * Creates its tables if missing, then listens on the configured host and port (0: a free one).
   * Cosignatures are timestamped by {@code clock}.
   */
  public static Future<WitnessServer> start(
      Vertx vertx, WitnessConfig config, Pool pool, Clock clock) {
    return WitnessState.open(pool, config.cosigner().name())
        .compose(
            state -> {
              WitnessServer witness = new WitnessServer(config, state, clock);
              HttpServerOptions options =
                  new HttpServerOptions()
                      .setHost(config.host())
                      .setPort(config.port())
                      .setMaxInitialLineLength(MAX_URL_LENGTH)
                      .setMaxHeaderSize(MAX_HEADER_BYTES)
                      // Vert.x's form limits stay at their defaults: the body is read raw
                      // (readBody), never decoded as a form, whatever its Content-Type says.
                      .setIdleTimeout(IDLE_SECONDS)
                      .setHttp2ClearTextEnabled(false);
              return vertx
                  .createHttpServer(options)
                  .requestHandler(witness.routes(vertx))
                  .listen()
                  .map(
                      server -> {
                        witness.server = server;
                        LOG.info(
                            "witness "
                                + config.cosigner().name()
                                + " listening on port "
                                + server.actualPort()
                                + " for "
                                + config.logs().stream()
                                    .map(WitnessConfig.WitnessedLog::origin)
                                    .distinct()
                                    .toList());
                        return witness;
                      });
            });
  }

  private Router routes(Vertx vertx) {
    Router router = Router.router(vertx);
    router.route().handler(this::withinDeadline);
    router.post("/add-checkpoint").handler(this::readBody).handler(this::addCheckpoint);
    router.route("/add-checkpoint").handler(ctx -> ctx.fail(405));
    router.route().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(this::refused);
    return router;
  }

  /** The port it listens on. */
  public int port() {
    return server.actualPort();
  }

  /** Stops listening. The pool is the caller's to close. */
  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * Every request, whatever its route, has {@link #REQUEST_DEADLINE} from its headers to send its
   * whole body; when it has not, its connection is closed (no answer: the client is not reading).
   */
  private void withinDeadline(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!request.isEnded()) {
      Vertx vertx = ctx.vertx();
      long timer =
          vertx.setTimer(
              REQUEST_DEADLINE.toMillis(),
              id -> {
                if (!request.isEnded()) {
                  request.connection().close();
                }
              });
      request.end().onComplete(x -> vertx.cancelTimer(timer));
    }
    ctx.next();
  }

  /**
   * Reads the body raw, as bytes, counting them against {@link #MAX_BODY_BYTES}: 413 as soon as the
   * Content-Length or the bytes received pass it. Never decoded as a form (curl --data-binary sends
   * a form's Content-Type, but the body is a tlog-witness request whatever it is called).
   */
  private void readBody(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && declaredTooLarge(length)) {
      ctx.fail(413);
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] tooLarge = {false};
    request.handler(
        chunk -> {
          if (tooLarge[0]) {
            return; // answered 413; the connection closes once the answer is sent
          }
          if (body.length() + chunk.length() > MAX_BODY_BYTES) {
            tooLarge[0] = true;
            ctx.fail(413);
            return;
          }
          body.appendBuffer(chunk);
        });
    request.endHandler(
        v -> {
          if (!tooLarge[0]) {
            ctx.put(BODY, body.getBytes());
            ctx.next();
          }
        });
    request.resume();
  }

  /** Whether a Content-Length (Netty has checked it is one decimal number) is over the cap. */
  private static boolean declaredTooLarge(String length) {
    try {
      return Long.parseLong(length.strip()) > MAX_BODY_BYTES;
    } catch (NumberFormatException e) {
      return true; // beyond a long
    }
  }

  private void addCheckpoint(RoutingContext ctx) {
    byte[] body = ctx.get(BODY);
    AddCheckpointRequest request;
    NoteCheckpoint checkpoint;
    try {
      request = AddCheckpointRequest.parse(body);
      checkpoint = signedCheckpoint(request);
    } catch (MalformedRequest e) {
      ctx.fail(400, WitnessRefusal.because(400, e.getMessage()));
      return;
    } catch (WitnessRefusal e) {
      ctx.fail(e.status(), e);
      return;
    }
    String origin = checkpoint.origin();
    state
        .latest(origin)
        .compose(cosigned -> step(cosigned, request, checkpoint))
        .onSuccess(
            cosignature -> {
              ctx.response()
                  .putHeader(HttpHeaders.CONTENT_TYPE, WitnessRefusal.TEXT)
                  .end(cosignature);
            })
        .onFailure(e -> ctx.fail(e instanceof WitnessRefusal r ? r.status() : 500, e));
  }

  /**
   * The checkpoint, if its origin is a log witnessed here (else 404), signed by one of that log's
   * keys (else 403; other keys' signatures are ignored), and well formed (else 400).
   */
  private NoteCheckpoint signedCheckpoint(AddCheckpointRequest request)
      throws MalformedRequest, WitnessRefusal {
    List<NoteVerifierKey> keys = config.keysFor(request.origin());
    if (keys.isEmpty()) {
      throw WitnessRefusal.because(404, "unknown log origin");
    }
    SignedNote.Opened opened;
    try {
      opened = SignedNote.open(request.note(), keys);
    } catch (IllegalArgumentException e) {
      if (malformed(e)) {
        throw new MalformedRequest(e.getMessage());
      }
      // No signature by the log's key, or one that does not verify: the same for the witness.
      throw WitnessRefusal.because(
          403, "the checkpoint is not signed by the log: " + e.getMessage());
    }
    NoteCheckpoint checkpoint;
    try {
      checkpoint = NoteCheckpoint.read(opened, new String(request.note(), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new MalformedRequest("the checkpoint: " + e.getMessage());
    }
    if (request.oldSize() > checkpoint.size()) {
      throw WitnessRefusal.because(
          400, "old size " + request.oldSize() + " is above the checkpoint's " + checkpoint.size());
    }
    return checkpoint;
  }

  /** SignedNote's messages for a note it cannot read, rather than one it does not trust. */
  private static boolean malformed(IllegalArgumentException e) {
    String m = String.valueOf(e.getMessage());
    return m.startsWith("malformed note") || m.startsWith("the note is longer");
  }

  /**
   * Checks the step from what is stored, records the checkpoint (atomically with the check of the
   * old size), and makes the cosignature; or refuses, keeping a split view as evidence.
   */
  private Future<String> step(
      Optional<Cosigned> cosigned, AddCheckpointRequest request, NoteCheckpoint checkpoint) {
    Optional<CheckpointStep.Refused> refused = CheckpointStep.check(cosigned, request, checkpoint);
    if (refused.isPresent()) {
      WitnessRefusal refusal = refused.get().refusal();
      if (refused.get().splitView()) {
        return keepSplitView(cosigned.get(), checkpoint)
            .transform(x -> Future.failedFuture(refusal));
      }
      if (refusal.status() == 422) {
        // Not evidence: anyone can attach garbage hashes to a genuine checkpoint. Never the body.
        proofFailures.warn(
            "refused "
                + checkpoint.origin()
                + " at size "
                + checkpoint.size()
                + ": "
                + refusal.getMessage());
      }
      return Future.failedFuture(refusal);
    }
    // Read once, before the compare-and-set: at this instant the log was at most at the stored
    // size (it only grows), so the cosignature's time and the stored one are the same and true.
    Instant now = clock.instant();
    return state
        .advance(cosigned, checkpoint, now)
        .compose(
            advanced -> {
              if (!advanced) {
                // Another request moved the log on between the read and the write: out of step.
                return state
                    .latest(checkpoint.origin())
                    .compose(
                        latest -> {
                          long size = latest.map(Cosigned::size).orElse(0L);
                          return Future.failedFuture(
                              WitnessRefusal.outOfStep(
                                  size, "old size " + request.oldSize() + ", now " + size));
                        });
              }
              // A retry of the same size (anyone can replay one) is answered, but not logged.
              if (cosigned.isEmpty() || checkpoint.size() > cosigned.get().size()) {
                LOG.info("cosigned " + checkpoint.origin() + " at size " + checkpoint.size());
              }
              return Future.succeededFuture(cosign(checkpoint, now));
            });
  }

  /** Keeps both halves of a split view, once per root, and says so (never a body). */
  private Future<Boolean> keepSplitView(Cosigned cosigned, NoteCheckpoint second) {
    String what =
        "a second root for size "
            + second.size()
            + " of "
            + second.origin()
            + ", signed by the log";
    return state
        .keepSplitView(cosigned, second, clock.instant(), MAX_SPLIT_VIEWS_PER_LOG)
        .onSuccess(
            kept -> {
              if (kept) {
                LOG.warning(what + ": kept as evidence with the checkpoint cosigned for that size");
              } else {
                replayedSplitViews.warn(
                    what + ": not kept (that root is kept already, or the cap is reached)");
              }
            });
  }

  private String cosign(NoteCheckpoint checkpoint, Instant time) {
    String note = checkpoint.note();
    String text = note.substring(0, note.lastIndexOf("\n\n") + 1);
    return Cosignature.line(config.cosigner(), text, time);
  }

  /** The one failure door: a refusal's status and body, or a plain-text reason. */
  private void refused(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (ctx.response().ended()) {
      return;
    }
    if (failure instanceof WitnessRefusal r) {
      ctx.response()
          .setStatusCode(r.status())
          .putHeader(HttpHeaders.CONTENT_TYPE, r.contentType())
          .end(Buffer.buffer(r.body(), "UTF-8"));
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    String reason =
        switch (status) {
          case 404 -> "not found: the witness answers POST /add-checkpoint";
          case 405 -> "method not allowed: add-checkpoint is a POST";
          case 413 -> "the body is larger than " + MAX_BODY_BYTES + " bytes";
          default -> HttpResponseStatus.valueOf(status).reasonPhrase().toLowerCase();
        };
    if (status >= 500) {
      LOG.log(Level.SEVERE, "witness request failed", failure);
    }
    if (status == 405) {
      ctx.response().putHeader(HttpHeaders.ALLOW, HttpMethod.POST.name());
    }
    // A body not read to its end (413) is not read further: the connection closes after the answer.
    boolean unread = !ctx.request().isEnded();
    if (unread) {
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, WitnessRefusal.TEXT)
        .end(reason + "\n")
        .onComplete(
            x -> {
              if (unread) {
                ctx.request().connection().close();
              }
            });
  }
}
