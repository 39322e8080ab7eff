package org.placeshare.fhir;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How the gateway proves itself to a source: a bearer token, and for https a CA to trust and a
 * client certificate for mutual TLS. The token is read from a file by whoever builds this, never
 * written into configuration or logs.
 */
public record SourceAccess(
    Optional<String> bearerToken,
    Optional<Path> trustCa,
    Optional<Path> certificate,
    Optional<Path> privateKey) {

  public static final SourceAccess NONE =
      new SourceAccess(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  /** Connections kept to one source: views and cohort jobs in flight share them. */
  public static final int MAX_CONNECTIONS = 16;

  /**
   * An HTTP client for a source: this access's TLS trust and certificate, connect and idle timeouts
   * of the source's deadline, a cap on the headers it may send, and a pool of {@value
   * #MAX_CONNECTIONS} connections. Vert.x applies the idle timeout only while a request is in
   * flight (a source that stops sending part way loses the connection); a connection unused in the
   * pool stays for the keep-alive timeout, 60 s ({@code FhirRestSourceTest}).
   */
  public HttpClientAgent client(Vertx vertx, Duration deadline) {
    int millis = (int) deadline.toMillis();
    return vertx.createHttpClient(
        apply(
            new HttpClientOptions()
                .setConnectTimeout(millis)
                .setIdleTimeout(millis)
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxHeaderSize(16 * 1024)),
        new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
  }

  /** The client options with this access's TLS trust and certificate. */
  HttpClientOptions apply(HttpClientOptions options) {
    trustCa.ifPresent(
        ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
    if (certificate.isPresent() && privateKey.isPresent()) {
      options.setKeyCertOptions(
          new PemKeyCertOptions()
              .setCertPath(certificate.get().toString())
              .setKeyPath(privateKey.get().toString()));
    }
    return options.setVerifyHost(true);
  }

  /** The request with this access's credentials. */
  public RequestOptions apply(RequestOptions request) {
    bearerToken.ifPresent(t -> request.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t));
    return request;
  }

  @Override
  public String toString() {
    // Never the token.
    return "SourceAccess[bearer="
        + bearerToken.isPresent()
        + ", mutualTls="
        + certificate.isPresent()
        + "]";
  }
}
