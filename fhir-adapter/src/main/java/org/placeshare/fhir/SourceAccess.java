package org.placeshare.fhir;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.util.Optional;

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

  /** The client options with this access's TLS trust and certificate. */
  public HttpClientOptions apply(HttpClientOptions options) {
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
