package org.placeshare.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.http.ManagementRoutes;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.storage.Database;

/** The gateway's two listeners, public and management, and the limits both put on requests. */
final class Listeners {

  /** Request lines, headers and bodies beyond these are refused before any handler runs. */
  static final int MAX_URL_LENGTH = 4096;

  static final int MAX_HEADER_BYTES = 16 * 1024;

  /**
   * A form field's cap in the decoder, above the token request's body limit (16 KiB): a form body
   * over that limit is then refused by the limit, 413, even when chunked; the decoder's default (8
   * KiB) failed it first as a body that could not be read (400).
   */
  static final int MAX_FORM_FIELD_BYTES = 32 * 1024;

  static final int IDLE_SECONDS = 30;

  private Listeners() {}

  /**
   * The management listener: metrics and detailed health, plain HTTP without credentials, on the
   * configured host (loopback by default) and port.
   */
  static Future<HttpServer> management(
      Vertx vertx,
      GatewayConfig config,
      PolicyStore policy,
      Database db,
      List<RecordSource> sources,
      Metrics metrics) {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.management().host())
            .setPort(config.management().port())
            .setMaxInitialLineLength(MAX_URL_LENGTH)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setIdleTimeout(IDLE_SECONDS)
            .setHttp2ClearTextEnabled(false);
    return vertx
        .createHttpServer(options)
        .requestHandler(ManagementRoutes.create(vertx, policy, db.pool(), sources, metrics))
        .listen();
  }

  /**
   * The public listener: capped framing, no cleartext HTTP/2, TLS (and client certificates) as
   * configured.
   */
  static HttpServerOptions publicOptions(GatewayConfig config) {
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(config.host())
            .setPort(config.port())
            .setMaxInitialLineLength(MAX_URL_LENGTH)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setMaxFormAttributeSize(MAX_FORM_FIELD_BYTES)
            // A slow or silent client cannot hold a connection for long.
            .setIdleTimeout(IDLE_SECONDS)
            // The same limit for HTTP/2, whose default is 8 KiB.
            .setInitialSettings(new Http2Settings().setMaxHeaderListSize(MAX_HEADER_BYTES))
            // No cleartext HTTP/2 upgrade: a known way past front proxies (h2c smuggling), which
            // RFC 9113 section 3.1 deprecates; and each connection's framing check (RequestFraming)
            // is then in place before its first byte is decoded.
            .setHttp2ClearTextEnabled(false);
    config
        .tls()
        .ifPresent(
            tls -> {
              options
                  .setSsl(true)
                  .setKeyCertOptions(
                      new PemKeyCertOptions()
                          .setCertPath(tls.certificate().toString())
                          .setKeyPath(tls.privateKey().toString()));
              tls.clientCa()
                  .ifPresent(
                      ca ->
                          options
                              .setClientAuth(ClientAuth.REQUIRED)
                              .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
            });
    return options;
  }
}
