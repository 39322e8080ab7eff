package org.placeshare.gateway.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.logging.Logger;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.Outcomes;
import org.placeshare.gateway.http.edge.RequestState;

/**
 * How an HTTP/1.1 request's body is delimited, checked before any route sees the request (RFC 9112
 * section 6). A request whose framing two parties could read two ways is the start of request
 * smuggling: with both {@code Content-Length} and {@code Transfer-Encoding}, or with a transfer
 * coding other than a single, final {@code chunked}, the bytes after the body might be taken as a
 * second request. Such a request, an HTTP/1.0 request with any {@code Transfer-Encoding}, a request
 * head the decoder refuses (two {@code Content-Length} values, a bare LF; 414 or 431 when too
 * long), and a chunked body that does not parse (bad chunk size, missing CRLF, truncated chunk), is
 * answered 400 with an OperationOutcome and {@code Connection: close}, audited, and the connection
 * closed: nothing after it on the connection is read as a request.
 *
 * <p>It sits in the connection's Netty pipeline just before Vert.x's own handler, because Vert.x
 * closes a connection on a malformed chunk without answering, and would otherwise serve the next
 * pipelined request.
 */
public final class RequestFraming extends ChannelDuplexHandler {

  private static final Logger LOG = Logger.getLogger(RequestFraming.class.getName());

  static final String ACTION = "http-framing";

  /** Vert.x's HTTP/1.x connection handler in the pipeline; this handler goes just before it. */
  static final String VERTX_HANDLER = "handler";

  /** Vert.x's HTTP/1.x request decoder in the pipeline. */
  static final String VERTX_DECODER = "httpDecoder";

  static final String NAME = "placeshare-request-framing";

  /** The one transfer coding a request may carry (RFC 9112 section 6.1). */
  private static final String CHUNKED = "chunked";

  /** How much of the decoder's reason for refusing a request head is quoted back and audited. */
  static final int MAX_REASON_CHARS = 200;

  /**
   * Appends the audit event for a refused request (its status and why); the answer waits for it.
   */
  private final BiFunction<Integer, String, Future<?>> audit;

  /** Requests passed on to Vert.x on this connection, and responses it has finished. */
  private int requests;

  private int responsesDone;

  /** Whether the response to the oldest unanswered request has begun. */
  private boolean responseBegun;

  /** Once set, nothing more is read from this connection; the refusal waits for earlier answers. */
  private String refusal;

  /** The status of the refusal: 400, or 414 and 431 for a request line or head too long. */
  private int refusalStatus = 400;

  private boolean refusalSent;

  private RequestFraming(BiFunction<Integer, String, Future<?>> audit) {
    this.audit = audit;
  }

  /**
   * The connection handler of a gateway listener: each HTTP/1.x connection checked, each refusal
   * audited as {@value #ACTION}.
   */
  public static Handler<HttpConnection> forConnections(
      HttpServerOptions options, AuditLog audit, Clock clock) {
    return connection ->
        install(
            connection,
            options,
            (status, problem) -> {
              Instant now = clock.instant();
              return audit.append(
                  new AuditEvent(
                          UUID.randomUUID(),
                          now,
                          UUID.randomUUID().toString(),
                          ACTION,
                          AuditEvent.Outcome.REFUSED,
                          status,
                          Optional.empty(),
                          Optional.empty(),
                          Optional.empty(),
                          Optional.empty(),
                          List.of(),
                          Map.of(),
                          List.of(),
                          problem,
                          0)
                      // A refused frame has no request yet: its client is the connection's peer.
                      .withClientAddress(RequestState.peer(connection)));
            });
  }

  /**
   * Puts the check in front of an HTTP/1.x connection; HTTP/2 frames carry no such framing. A
   * pipeline without Vert.x's handler where this expects it is closed: unchecked is not served.
   */
  static void install(
      HttpConnection connection,
      HttpServerOptions options,
      BiFunction<Integer, String, Future<?>> audit) {
    if (!(connection instanceof Http1xServerConnection http1)) {
      return;
    }
    ChannelPipeline pipeline = http1.channelHandlerContext().pipeline();
    if (pipeline.get(VERTX_HANDLER) == null || pipeline.get(VERTX_DECODER) == null) {
      LOG.severe("HTTP/1.x pipeline not as expected: connection closed unchecked");
      http1.channel().close();
      return;
    }
    pipeline.replace(VERTX_DECODER, VERTX_DECODER, new EvidenceKeepingDecoder(options));
    pipeline.addBefore(VERTX_HANDLER, NAME, new RequestFraming(audit));
  }

  /**
   * Vert.x's request decoder, except that a request with both {@code Transfer-Encoding: chunked}
   * and {@code Content-Length} keeps both headers: Netty drops the length (RFC 9112 section 6.3
   * lets a server do so), which would hide the conflict from the check that refuses it.
   */
  private static final class EvidenceKeepingDecoder extends VertxHttpRequestDecoder {

    EvidenceKeepingDecoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      // Left as sent: RequestFraming refuses the request before anything reads its body.
    }
  }

  /**
   * Why this request's framing is refused, or null when it is sound: no {@code Transfer-Encoding},
   * or exactly {@code chunked}, no {@code Content-Length} and HTTP/1.1.
   */
  static String problem(HttpRequest request) {
    HttpHeaders headers = request.headers();
    List<String> codings = new ArrayList<>();
    for (String value : headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)) {
      for (String coding : value.split(",", -1)) {
        codings.add(coding.strip().toLowerCase(Locale.ROOT));
      }
    }
    if (codings.isEmpty()) {
      return null;
    }
    // HTTP/1.0 has no transfer codings: a 1.0 front end reads this body as none (section 6.1).
    if (!request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
      return "an HTTP/1.0 request may not carry Transfer-Encoding";
    }
    if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      return "a request may not carry both Content-Length and Transfer-Encoding";
    }
    if (!codings.equals(List.of(CHUNKED))) {
      return "expected Transfer-Encoding: chunked and no other transfer coding, got "
          + quoted(String.join(", ", headers.getAll(HttpHeaderNames.TRANSFER_ENCODING)));
    }
    return null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refusal != null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      String problem = request.decoderResult().isSuccess() ? problem(request) : malformed(request);
      if (problem != null) {
        ReferenceCountUtil.release(msg);
        stopReading(ctx, problem);
        // Never passed on, so it is answered here, after the answers to earlier requests.
        if (responsesDone == requests) {
          answer(ctx);
        }
        return;
      }
      requests++;
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      stopReading(ctx, "the chunked request body is malformed");
      // The body belongs to the newest request: answered here unless its answer has begun or
      // earlier ones are still owed, when the connection just closes.
      if (responsesDone == requests - 1 && !responseBegun) {
        answer(ctx);
      } else {
        refusalSent = true;
        ctx.flush();
        ctx.close();
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().code() >= 200) {
      responseBegun = true;
    }
    ctx.write(msg, promise);
    if (msg instanceof LastHttpContent && responseBegun) {
      responsesDone++;
      responseBegun = false;
      if (refusal != null && !refusalSent && responsesDone == requests) {
        answer(ctx);
      }
    }
  }

  /**
   * Why the decoder refused this request's line or head (two {@code Content-Length} values, a
   * signed length, a space before a colon, a bare LF, too long), with the status to answer. Vert.x
   * would answer a bare 400, or close without a word, and audit nothing.
   */
  private String malformed(HttpRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException) {
      refusalStatus = 414;
    } else if (cause instanceof TooLongHttpHeaderException) {
      refusalStatus = 431;
    }
    String reason = cause == null || cause.getMessage() == null ? "unreadable" : cause.getMessage();
    return "the request line or headers are malformed: " + quoted(reason);
  }

  /**
   * The caller's bytes as quoted in the answer and the audit: capped, and control characters
   * replaced (a NUL, which PostgreSQL text cannot hold, would make the audit fail).
   */
  private static String quoted(String text) {
    String capped = text.substring(0, Math.min(text.length(), MAX_REASON_CHARS));
    return capped
        .codePoints()
        .map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
  }

  /** Nothing after a refused request is read as a request. */
  private void stopReading(ChannelHandlerContext ctx, String problem) {
    refusal = problem;
    ctx.channel().config().setAutoRead(false);
  }

  private void answer(ChannelHandlerContext ctx) {
    refusalSent = true;
    audit
        .apply(refusalStatus, refusal)
        .onComplete(
            audited ->
                ctx.executor()
                    .execute(
                        () ->
                            ctx.writeAndFlush(
                                    audited.succeeded()
                                        ? outcome(
                                            refusalStatus,
                                            refusalStatus == 400
                                                ? IssueType.STRUCTURE
                                                : IssueType.TOOLONG,
                                            refusal)
                                        : outcome(
                                            503, IssueType.TRANSIENT, AuditUnavailable.MESSAGE))
                                .addListener(ChannelFutureListener.CLOSE)));
  }

  private static FullHttpResponse outcome(int status, IssueType code, String message) {
    byte[] body = Fhir.encode(Outcomes.of(status, code, message)).getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, Fhir.JSON + "; charset=utf-8")
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, "close")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff");
    return response;
  }
}
