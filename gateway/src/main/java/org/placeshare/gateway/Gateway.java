package org.placeshare.gateway;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.placeshare.fhir.FhirRestSource;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.http.GatewayRoutes;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.RegisteredClient;
import org.placeshare.policy.identity.SigningKey;

/**
 * A running gateway: database (embedded or external) migrated, agreements loaded, keys read,
 * sources connected, HTTP listening. Start-up fails, and nothing listens, if any of these fails.
 */
public final class Gateway {

  private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

  /** Request lines, headers and bodies beyond these are refused before any handler runs. */
  static final int MAX_URL_LENGTH = 4096;

  static final int MAX_HEADER_BYTES = 16 * 1024;

  private final Vertx vertx;
  private final HttpServer server;
  private final Database database;
  private final PolicyStore policy;
  private final List<RecordSource> sources;

  private Gateway(
      Vertx vertx,
      HttpServer server,
      Database database,
      PolicyStore policy,
      List<RecordSource> sources) {
    this.vertx = vertx;
    this.server = server;
    this.database = database;
    this.policy = policy;
    this.sources = sources;
  }

  private static PolicyFolder.Options policyOptions(GatewayConfig config) {
    Set<OdsCode> registered =
        config.organisations().stream().map(o -> OdsCode.of(o.code())).collect(Collectors.toSet());
    List<ECKey> signers =
        config.agreementSigners().stream().map(SigningKey::readPublicPem).toList();
    return new PolicyFolder.Options(
        Optional.of(registered), signers, config.agreementSignaturesRequired());
  }

  public static Future<Gateway> start(Vertx vertx, GatewayConfig config, Clock clock) {
    PolicyStore policy;
    SigningKey signingKey;
    Map<String, RegisteredClient> clients;
    List<RecordSource> sources;
    try {
      policy = PolicyStore.load(config.agreements(), policyOptions(config), clock);
      signingKey = SigningKey.readPrivatePem(config.signingKey());
      clients = clients(config);
      sources = sources(vertx, config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    AccessTokens tokens = new AccessTokens(signingKey, config.publicUrl(), clock);
    ClientAssertionVerifier assertions =
        new ClientAssertionVerifier(clients, config.tokenUrl(), clock);
    return Database.open(
            vertx, config.databaseUrl().orElse(null), config.dataDir().resolve("postgres"))
        .compose(
            db -> {
              var router =
                  GatewayRoutes.create(
                      vertx,
                      policy,
                      new PatientRegister(db.pool()),
                      sources,
                      new AuditLog(db.pool()),
                      signingKey,
                      assertions,
                      tokens,
                      clock);
              return vertx
                  .createHttpServer(
                      new HttpServerOptions()
                          .setHost(config.host())
                          .setPort(config.port())
                          .setMaxInitialLineLength(MAX_URL_LENGTH)
                          .setMaxHeaderSize(MAX_HEADER_BYTES))
                  .requestHandler(router)
                  .listen()
                  .map(
                      server -> {
                        policy.watch(vertx, config.policyPoll());
                        return new Gateway(vertx, server, db, policy, sources);
                      })
                  .recover(e -> db.close().transform(x -> Future.failedFuture(e)));
            })
        .onSuccess(
            g ->
                LOG.info(
                    "gateway listening on "
                        + config.host()
                        + ":"
                        + g.port()
                        + " with "
                        + policy.current().agreements().size()
                        + " agreements and "
                        + sources.size()
                        + " sources"));
  }

  private static Map<String, RegisteredClient> clients(GatewayConfig config) {
    Map<String, RegisteredClient> clients = new HashMap<>();
    for (GatewayConfig.Client c : config.clients()) {
      Set<PurposeOfUse> purposes =
          c.purposes().stream().map(PurposeOfUse::of).collect(Collectors.toSet());
      clients.put(
          c.id(),
          new RegisteredClient(
              c.id(),
              OdsCode.of(c.organisation()),
              SigningKey.readPublicPem(c.publicKey()),
              purposes));
    }
    return clients;
  }

  private static List<RecordSource> sources(Vertx vertx, GatewayConfig config) {
    List<RecordSource> sources = new ArrayList<>();
    for (GatewayConfig.Source s : config.sources()) {
      sources.add(
          new FhirRestSource(
              vertx,
              new SourceDescriptor(
                  s.id(),
                  OdsCode.of(s.organisation()),
                  URI.create(s.baseUrl()),
                  s.deadline(),
                  s.resourceTypes())));
    }
    return sources;
  }

  /** The agreements in force and their reload status. */
  public PolicyStore policy() {
    return policy;
  }

  /** The patient and relationship registers, for importing entries. */
  public PatientRegister patientRegister() {
    return new PatientRegister(database.pool());
  }

  /** For tests in this package: the database the gateway writes to. */
  Database database() {
    return database;
  }

  /** The port actually bound (the configured one, or the one chosen for port 0). */
  public int port() {
    return server.actualPort();
  }

  /** Stops listening, lets sources go, closes the database (stopping an embedded server). */
  public Future<Void> stop() {
    policy.stop(vertx);
    List<Future<Void>> closing = new ArrayList<>();
    closing.add(server.close());
    sources.forEach(s -> closing.add(s.close()));
    return Future.join(closing).eventually(database::close).mapEmpty();
  }
}
