package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP edge spoken to as an attacker would, over a raw socket: request smuggling (RFC 9112
 * sections 6.1 and 6.3) and malformed chunked bodies are answered 400 once, the connection closed,
 * and nothing sent after them runs.
 */
class HttpEdgeTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;

  /** A request that leaves a trace if it runs: an unauthenticated read of the agreements. */
  static final String SMUGGLED = "GET /agreements HTTP/1.1\r\nHost: gateway\r\n\r\n";

  private static final Pattern STATUS_LINE = Pattern.compile("(?m)^HTTP/1\\.1 (\\d{3}) ");

  @BeforeAll
  static void start() throws Exception {
    fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void smuggling_contentLengthAndTransferEncoding_isAnswered400OnceAndTheSmuggledRequestNeverRuns()
      throws Exception {
    long before = audited("read-agreements");
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\r\n"
                + "Host: gateway\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "\r\n"
                + "0\r\n"
                + "\r\n"
                + SMUGGLED);

    assertOneRefusal(answer, "both Content-Length and Transfer-Encoding");
    Thread.sleep(300);
    assertThat(audited("read-agreements")).isEqualTo(before);
    assertThat(audited("http-framing")).isPositive();
  }

  @Test
  void smuggling_transferCodingNotChunked_isAnswered400AndTheBodyIsNotReadAsARequest()
      throws Exception {
    long before = audited("read-agreements");
    // Without the check, a body of unknown length is read as none: the "body" is a request.
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\r\n"
                + "Host: gateway\r\n"
                + "Transfer-Encoding: gzip\r\n"
                + "\r\n"
                + SMUGGLED);

    assertOneRefusal(answer, "expected Transfer-Encoding: chunked");
    Thread.sleep(300);
    assertThat(audited("read-agreements")).isEqualTo(before);
  }

  @Test
  void smuggling_chunkedNotTheOnlyCoding_isAnswered400() throws Exception {
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\r\n"
                + "Host: gateway\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "Transfer-Encoding: identity\r\n"
                + "\r\n"
                + "0\r\n\r\n"
                + SMUGGLED);

    assertOneRefusal(answer, "expected Transfer-Encoding: chunked");
  }

  @Test
  void smuggling_http10WithTransferEncoding_isAnswered400AndTheSmuggledRequestNeverRuns()
      throws Exception {
    long before = audited("read-agreements");
    // An HTTP/1.0 front end knows no transfer coding: to it, the chunked body is the next request.
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.0\r\n"
                + "Host: gateway\r\n"
                + "Connection: keep-alive\r\n"
                + "Transfer-Encoding: chunked\r\n"
                + "\r\n"
                + "0\r\n"
                + "\r\n"
                + SMUGGLED);

    assertOneRefusal(answer, "HTTP/1.0 request may not carry Transfer-Encoding");
    Thread.sleep(300);
    assertThat(audited("read-agreements")).isEqualTo(before);
  }

  @Test
  void smuggling_contentLengthTwiceWithDifferentValues_isAnswered400AndAudited() throws Exception {
    long before = audited("http-framing");
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\r\n"
                + "Host: gateway\r\n"
                + "Content-Length: 3\r\n"
                + "Content-Length: 5\r\n"
                + "\r\n"
                + "abcde"
                + SMUGGLED);

    assertOneRefusal(answer, "Content-Length");
    assertThat(audited("http-framing")).isEqualTo(before + 1);
  }

  @Test
  void requestHead_bareLineFeeds_isAnswered400NotADroppedConnection() throws Exception {
    long before = audited("http-framing");
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\nHost: gateway\nContent-Length: 5\n\nabcde" + SMUGGLED);

    assertOneRefusal(answer, "the request line or headers are malformed");
    assertThat(audited("http-framing")).isEqualTo(before + 1);
  }

  @Test
  void requestHead_nulInAHeader_isAnswered400AndAuditedNotA503() throws Exception {
    long before = audited("http-framing");
    // The decoder's reason quotes the header; a NUL in the audit detail would fail the append.
    String answer =
        exchange(
            "POST /oauth2/token HTTP/1.1\r\nHost: gateway\r\nX-Probe: a\u0000b\r\n"
                + "Content-Length: 0\r\n\r\n");

    assertOneRefusal(answer, "the request line or headers are malformed");
    assertThat(audited("http-framing")).isEqualTo(before + 1);
  }

  @Test
  void chunkedBody_badChunkSize_isAnswered400() throws Exception {
    assertOneRefusal(
        exchange(tokenRequestHead() + "zz\r\nabcd\r\n0\r\n\r\n" + SMUGGLED), "malformed");
  }

  @Test
  void chunkedBody_missingCrlfAfterChunkData_isAnswered400() throws Exception {
    assertOneRefusal(exchange(tokenRequestHead() + "4\r\nabcdXY0\r\n\r\n" + SMUGGLED), "malformed");
  }

  @Test
  void chunkedBody_truncatedChunk_isAnswered400() throws Exception {
    // The chunk says 10 bytes; after 3 the last-chunk marker is read as data, then a blank size.
    assertOneRefusal(
        exchange(tokenRequestHead() + "a\r\nabc\r\n0\r\n\r\n\r\n\r\n" + SMUGGLED), "malformed");
  }

  @Test
  void chunkedBody_wellFormed_isServedAndTheConnectionKeptOpen() throws Exception {
    String form = "grant_type=password";
    try (Socket socket = new Socket("127.0.0.1", fixture.gateway.port())) {
      socket.setSoTimeout(10_000);
      send(
          socket,
          tokenRequestHead()
              + Integer.toHexString(form.length())
              + "\r\n"
              + form
              + "\r\n0\r\n\r\n");
      String first = readResponse(socket.getInputStream());
      assertThat(first).startsWith("HTTP/1.1 400 ").contains("unsupported_grant_type");

      // A sound connection goes on serving requests.
      send(socket, "GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n");
      assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 ");
    }
  }

  private static void send(Socket socket, String bytes) throws IOException {
    socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** One response with a Content-Length body, read to its end. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new AssertionError("connection closed after: " + head);
      }
      head.append((char) b);
    }
    Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head.toString());
    assertThat(length.find()).as(head.toString()).isTrue();
    byte[] body = in.readNBytes(Integer.parseInt(length.group(1)));
    return head + new String(body, StandardCharsets.UTF_8);
  }

  private static String tokenRequestHead() {
    return "POST /oauth2/token HTTP/1.1\r\n"
        + "Host: gateway\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\n"
        + "Transfer-Encoding: chunked\r\n"
        + "\r\n";
  }

  /** Exactly one answer, 400, an OperationOutcome saying why, and the connection closed. */
  private static void assertOneRefusal(String answer, String why) {
    Matcher statuses = STATUS_LINE.matcher(answer);
    assertThat(statuses.find()).as(answer).isTrue();
    assertThat(statuses.group(1)).as(answer).isEqualTo("400");
    assertThat(statuses.find()).as("a second response: " + answer).isFalse();
    assertThat(answer.toLowerCase()).contains("connection: close");
    assertThat(answer).contains("\"resourceType\":\"OperationOutcome\"").contains(why);
  }

  /** Sends the bytes and reads until the gateway closes the connection (failing if it does not). */
  static String exchange(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", fixture.gateway.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          read.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "the connection was left open; read so far: " + read.toString(StandardCharsets.UTF_8));
      } catch (java.net.SocketException e) {
        // A reset after the answer still closes the connection; what was read is the answer.
      }
      return read.toString(StandardCharsets.UTF_8);
    }
  }

  private static long audited(String action) {
    return fixture
        .gateway
        .database()
        .pool()
        .preparedQuery("SELECT count(*) FROM audit_event WHERE action = $1")
        .execute(io.vertx.sqlclient.Tuple.of(action))
        .await()
        .iterator()
        .next()
        .getLong(0);
  }
}
