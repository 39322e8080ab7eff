package org.placeshare.gateway.witness;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
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
   * Refused requests kept as evidence per log, at most: each at most {@link #MAX_BODY_BYTES}, so a
   * log (only requests signed by its key are kept) can fill at most ~7 MB of the witness's disk.
   */
  public static final int MAX_EVIDENCE_PER_LOG = 100;

  static final int MAX_URL_LENGTH = 1024;
  static final int MAX_HEADER_BYTES = 8 * 1024;
  static final int IDLE_SECONDS = 30;

  private final WitnessConfig config;
  private final WitnessState state;
  private final Clock clock;
  private HttpServer server;

  private WitnessServer(WitnessConfig config, WitnessState state, Clock clock) {
    this.config = config;
    this.state = state;
    this.clock = clock;
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
                      // No Content-Type is required, and curl --data-binary sends a form's, so
                      // the body also goes through the form decoder: its own limits (8 KiB, 1 KiB
                      // buffered, 256 fields) must not refuse a body the cap allows (it was 400).
                      .setMaxFormAttributeSize(MAX_BODY_BYTES)
                      .setMaxFormBufferedBytes(MAX_BODY_BYTES)
                      .setMaxFormFields(MAX_BODY_BYTES)
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
    router
        .post("/add-checkpoint")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::addCheckpoint);
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

  private void addCheckpoint(RoutingContext ctx) {
    byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
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
        .compose(cosigned -> step(cosigned, request, checkpoint, body))
        .onSuccess(
            cosignature -> {
              LOG.info("cosigned " + origin + " at size " + checkpoint.size());
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
    try {
      SignedNote.open(request.note(), keys);
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
      checkpoint =
          NoteCheckpoint.readUnverified(new String(request.note(), StandardCharsets.UTF_8));
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
   * old size), and makes the cosignature; or refuses, keeping the request as evidence when it may
   * show the log misbehaving.
   */
  private Future<String> step(
      Optional<Cosigned> cosigned,
      AddCheckpointRequest request,
      NoteCheckpoint checkpoint,
      byte[] body) {
    Optional<CheckpointStep.Refused> refused = CheckpointStep.check(cosigned, request, checkpoint);
    if (refused.isPresent()) {
      WitnessRefusal refusal = refused.get().refusal();
      if (refused.get().evidence().isEmpty()) {
        return Future.failedFuture(refusal);
      }
      String why = refused.get().evidence().get();
      return state
          .keepEvidence(checkpoint.origin(), body, clock.instant(), why, MAX_EVIDENCE_PER_LOG)
          .onSuccess(
              kept ->
                  LOG.warning(
                      "refused "
                          + checkpoint.origin()
                          + " at size "
                          + checkpoint.size()
                          + ": "
                          + why
                          + (kept ? "; kept as evidence" : "; evidence cap reached, not kept")))
          .transform(x -> Future.failedFuture(refusal));
    }
    return state
        .advance(cosigned, checkpoint, clock.instant())
        .compose(
            advanced ->
                advanced
                    ? Future.succeededFuture(cosign(checkpoint))
                    // Another request moved the log on between the read and the write: out of step.
                    : state
                        .latest(checkpoint.origin())
                        .compose(
                            now -> {
                              long size = now.map(Cosigned::size).orElse(0L);
                              return Future.failedFuture(
                                  WitnessRefusal.outOfStep(
                                      size, "old size " + request.oldSize() + ", now " + size));
                            }));
  }

  private String cosign(NoteCheckpoint checkpoint) {
    String note = checkpoint.note();
    String text = note.substring(0, note.lastIndexOf("\n\n") + 1);
    return Cosignature.line(config.cosigner(), text, clock.instant());
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
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, WitnessRefusal.TEXT)
        .end(reason + "\n");
  }
}
