package org.placeshare.gateway;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.placeshare.fhir.FhirRestSource;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.mapped.MappedSource;
import org.placeshare.fhir.mapped.SourceMapping;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.consent.IssuerKeys;
import org.placeshare.gateway.http.GatewayRoutes;
import org.placeshare.gateway.http.ManagementRoutes;
import org.placeshare.gateway.http.RequestFraming;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.FlagConcealment;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.NationalOptOuts;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.trust.AssertionReplay;
import org.placeshare.gateway.trust.ClientStore;
import org.placeshare.gateway.trust.CrlStore;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ConsentTokens;
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

  /**
   * A form field's cap in the decoder, above the token request's body limit (16 KiB): a form body
   * over that limit is then refused by the limit, 413, even when chunked; the decoder's default (8
   * KiB) failed it first as a body that could not be read (400).
   */
  static final int MAX_FORM_FIELD_BYTES = 32 * 1024;

  static final int IDLE_SECONDS = 30;

  private final Vertx vertx;
  private final HttpServer server;
  private final HttpServer management;
  private final Database database;
  private final PolicyStore policy;
  private final List<RecordSource> sources;
  private final IssuerKeys issuerKeys;
  private final Optional<NationalOptOuts> optOuts;
  private final AuditTree tree;
  private final AuditLog audit;
  private final ExportRunner runner;
  private final ClientStore clients;
  private final Optional<CrlStore> crl;
  private final PersonRelease release;

  private Gateway(
      Vertx vertx,
      HttpServer server,
      HttpServer management,
      Database database,
      PolicyStore policy,
      List<RecordSource> sources,
      IssuerKeys issuerKeys,
      Optional<NationalOptOuts> optOuts,
      AuditTree tree,
      AuditLog audit,
      ExportRunner runner,
      PersonRelease release,
      ClientStore clients,
      Optional<CrlStore> crl) {
    this.vertx = vertx;
    this.server = server;
    this.management = management;
    this.database = database;
    this.policy = policy;
    this.sources = sources;
    this.issuerKeys = issuerKeys;
    this.optOuts = optOuts;
    this.tree = tree;
    this.audit = audit;
    this.runner = runner;
    this.release = release;
    this.clients = clients;
    this.crl = crl;
  }

  /** The audit tree: checkpoints and proofs. */
  public AuditTree auditTree() {
    return tree;
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
    Optional<SigningKey> consentKey;
    Optional<Pseudonyms> pseudonyms;
    SigningKey auditKey;
    ClientStore clients;
    Optional<CrlStore> crl;
    List<RecordSource> sources;
    HttpServerOptions serverOptions;
    try {
      policy = PolicyStore.load(config.agreements(), policyOptions(config), clock);
      signingKey = SigningKey.readPrivatePem(config.signingKey());
      consentKey = config.consentKey().map(SigningKey::readPrivatePem);
      auditKey = config.auditKey().map(SigningKey::readPrivatePem).orElse(signingKey);
      pseudonyms =
          config.pseudonymKey().map(f -> new Pseudonyms(Base64URL.from(secret(f)).decode()));
      clients = ClientStore.load(config, Gateway::clients, clock);
      crl =
          config
              .tls()
              .flatMap(
                  t -> t.clientCrl().map(f -> CrlStore.load(f, t.clientCa().orElseThrow(), clock)));
      serverOptions = serverOptions(config);
      sources = sources(vertx, config);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    AccessTokens tokens = new AccessTokens(signingKey, config.publicUrl(), clients, clock);
    ClientAssertionVerifier assertions =
        new ClientAssertionVerifier(clients, config.tokenUrl(), clock);
    return IssuerKeys.start(vertx, config, consentKey, clock)
        .compose(
            issuerKeys ->
                Database.open(
                        vertx,
                        config.databaseUrl().orElse(null),
                        config.dataDir().resolve("postgres"))
                    .compose(
                        db -> {
                          Metrics metrics = new Metrics();
                          metrics.sources(sources);
                          metrics.counterOf(
                              "placeshare.policy.reloads",
                              "Agreement sets loaded after a change",
                              policy,
                              p -> p.status().reloads());
                          metrics.counterOf(
                              "placeshare.policy.refused.reloads",
                              "Changed agreement sets refused (the running set stayed)",
                              policy,
                              p -> p.status().refusedReloads());
                          AuditLog audit = new AuditLog(db.pool(), metrics::auditBatch);
                          Revocations revocations = new Revocations(db.pool(), tokens, crl);
                          AuditTree tree =
                              new AuditTree(db.pool(), auditKey, config.auditOrigin(), clock);
                          Optional<NationalOptOuts> optOuts =
                              config
                                  .nationalOptOuts()
                                  .map(f -> new NationalOptOuts(f, db.pool(), clock));
                          // One record of failing sources for the view and the exports alike.
                          FlagConcealment concealment = new FlagConcealment(sources);
                          ConsentVerifier consentVerifier =
                              new ConsentVerifier(new ConsentTokens(issuerKeys, clock), issuerKeys);
                          // The one release path, for the person view and every cohort member.
                          PersonRelease release =
                              new PersonRelease(
                                  policy,
                                  new PatientRegister(db.pool()),
                                  new ConsentRegister(db.pool()),
                                  consentVerifier,
                                  sources,
                                  pseudonyms,
                                  concealment,
                                  metrics,
                                  clock);
                          MemberRelease memberRelease = new MemberRelease(release);
                          GatewayConfig.Cohorts c = config.cohorts();
                          ExportRunner runner =
                              new ExportRunner(
                                  vertx,
                                  new ExportJobs(db.pool(), tokens.jobCallers()),
                                  new Cohorts(db.pool()),
                                  memberRelease,
                                  audit,
                                  c.directory(),
                                  new ExportRunner.Settings(
                                      c.concurrency(), c.lease(), c.keep(), c.suppressBelow()),
                                  metrics,
                                  revocations::refusal,
                                  clock);
                          var services =
                              new GatewayRoutes.Services(
                                  policy,
                                  new PatientRegister(db.pool()),
                                  sources,
                                  audit,
                                  signingKey,
                                  consentKey,
                                  assertions,
                                  tokens,
                                  new AssertionReplay(db.pool()),
                                  consentVerifier,
                                  new ConsentRegister(db.pool()),
                                  config.mutualTls(),
                                  pseudonyms,
                                  tree,
                                  db.pool(),
                                  config.publicUrl(),
                                  auditKey.publicJwk(),
                                  config.tls().isPresent(),
                                  config.maxConcurrentRequests(),
                                  config.clientRequestsPerMinute(),
                                  metrics,
                                  c,
                                  runner,
                                  memberRelease,
                                  release,
                                  clients,
                                  revocations,
                                  clock);
                          return audit
                              .adoptUntreed()
                              .compose(adopted -> clients.record(db.pool(), audit))
                              .compose(
                                  adopted ->
                                      optOuts
                                          .map(o -> o.load(vertx).<Void>mapEmpty())
                                          .orElse(Future.succeededFuture()))
                              .compose(
                                  v ->
                                      vertx
                                          .createHttpServer(serverOptions)
                                          // Framing checked before any route sees a request.
                                          // Framing checked before any route sees a request.
                                          .connectionHandler(
                                              RequestFraming.forConnections(
                                                  serverOptions, audit, clock))
                                          .requestHandler(GatewayRoutes.create(vertx, services))
                                          .listen())
                              .compose(
                                  server ->
                                      management(vertx, config, policy, db, sources, metrics)
                                          .map(m -> List.of(server, m))
                                          .recover(
                                              e ->
                                                  server
                                                      .close()
                                                      .transform(x -> Future.failedFuture(e))))
                              .map(
                                  servers -> {
                                    HttpServer server = servers.get(0);
                                    policy.watch(vertx, config.policyPoll());
                                    clients.watch(vertx, config.policyPoll());
                                    crl.ifPresent(l -> l.watch(vertx, config.policyPoll()));
                                    optOuts.ifPresent(o -> o.watch(vertx, config.policyPoll()));
                                    tree.start(vertx);
                                    runner.start();
                                    return new Gateway(
                                        vertx,
                                        server,
                                        servers.get(1),
                                        db,
                                        policy,
                                        sources,
                                        issuerKeys,
                                        optOuts,
                                        tree,
                                        audit,
                                        runner,
                                        release,
                                        clients,
                                        crl);
                                  })
                              .recover(e -> db.close().transform(x -> Future.failedFuture(e)));
                        })
                    .recover(e -> issuerKeys.close().transform(x -> Future.failedFuture(e))))
        .onSuccess(
            g ->
                LOG.info(
                    "gateway listening on "
                        + config.host()
                        + ":"
                        + g.port()
                        + (config.tls().isPresent()
                            ? config.mutualTls() ? " (https, mutual TLS)" : " (https)"
                            : "")
                        + ", metrics on "
                        + config.management().host()
                        + ":"
                        + g.managementPort()
                        + " with "
                        + policy.current().agreements().size()
                        + " agreements and "
                        + sources.size()
                        + " sources"));
  }

  /**
   * The management listener: metrics and detailed health, plain HTTP without credentials, on the
   * configured host (loopback by default) and port.
   */
  private static Future<HttpServer> management(
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

  private static HttpServerOptions serverOptions(GatewayConfig config) {
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

  private static Map<String, RegisteredClient> clients(List<GatewayConfig.Client> registered) {
    Map<String, RegisteredClient> clients = new HashMap<>();
    for (GatewayConfig.Client c : registered) {
      Set<PurposeOfUse> purposes =
          c.purposes().stream().map(PurposeOfUse::of).collect(Collectors.toSet());
      clients.put(
          c.id(),
          new RegisteredClient(
              c.id(),
              OdsCode.of(c.organisation()),
              SigningKey.readPublicPem(c.publicKey()),
              purposes,
              c.roles(),
              RegisteredClient.Status.of(c.status()).orElseThrow()));
    }
    return clients;
  }

  private static List<RecordSource> sources(Vertx vertx, GatewayConfig config) {
    List<RecordSource> sources = new ArrayList<>();
    for (GatewayConfig.Source s : config.sources()) {
      SourceDescriptor descriptor =
          new SourceDescriptor(
              s.id(),
              OdsCode.of(s.organisation()),
              URI.create(s.baseUrl()),
              s.deadline(),
              s.resourceTypes());
      SourceAccess access =
          new SourceAccess(
              s.bearerTokenFile().map(Gateway::secret),
              s.trustCa(),
              s.certificate(),
              s.privateKey());
      sources.add(
          s.kind().equals(GatewayConfig.Source.MAPPED)
              ? new MappedSource(
                  vertx, descriptor, SourceMapping.load(s.mapping().orElseThrow()), access)
              : new FhirRestSource(vertx, descriptor, access));
    }
    return sources;
  }

  /** A secret read from its own file: one line, never logged. */
  private static String secret(Path file) {
    try {
      String value = Files.readString(file).strip();
      if (value.isEmpty() || value.length() > 8192) {
        throw new PolicyException(file + ": expected one token of at most 8192 characters");
      }
      return value;
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  /** The client registry in force and its reload status. */
  public ClientStore clients() {
    return clients;
  }

  /** The client CA's revocation list in force, when one is configured. */
  public Optional<CrlStore> revocationList() {
    return crl;
  }

  /** For tests in this package: the id under which this instance's runner leases cohort jobs. */
  String exportRunnerOwner() {
    return runner.owner();
  }

  /**
   * For tests in this package: the longest a bulk job of {@code members} may take when nothing is
   * wrong. Each member's sources are asked at once, {@code concurrency} members at a time, and no
   * source is waited for past its deadline; a job that takes longer is stuck, not slow.
   */
  Duration longestBulkJob(int members) {
    Duration slowest =
        sources.stream()
            .map(s -> s.descriptor().deadline())
            .max(Duration::compareTo)
            .orElse(Duration.ZERO);
    int concurrency = runner.settings().concurrency();
    return slowest.multipliedBy((members + concurrency - 1) / concurrency);
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
  /** The one release path, for tests of its rules without HTTP. */
  PersonRelease release() {
    return release;
  }

  Database database() {
    return database;
  }

  /** The port actually bound (the configured one, or the one chosen for port 0). */
  public int port() {
    return server.actualPort();
  }

  /** The management listener's port (metrics, health details): the configured one, or chosen. */
  public int managementPort() {
    return management.actualPort();
  }

  /** How long requests in flight may take to finish at shutdown. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

  /**
   * The whole stop after SIGTERM, the grace for requests in flight included; the sample systemd
   * unit's {@code TimeoutStopSec=30} leaves room above it.
   */
  public static final Duration STOP_DEADLINE = Duration.ofSeconds(20);

  /**
   * Stops gracefully: stop accepting, let requests in flight finish (up to {@link
   * #SHUTDOWN_GRACE}), commit the audit events they appended, sign a last checkpoint, then let
   * sources go and close the database (stopping an embedded server).
   */
  public Future<Void> stop() {
    policy.stop(vertx);
    clients.stop(vertx);
    crl.ifPresent(c -> c.stop(vertx));
    optOuts.ifPresent(o -> o.stop(vertx));
    tree.stop(vertx);
    return server
        .shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)
        .transform(x -> management.close())
        // The chunk in hand is finished and checkpointed; the job resumes at the next start.
        .transform(x -> runner.stop())
        .transform(x -> audit.drain())
        .transform(x -> tree.checkpoint().<Void>mapEmpty().otherwiseEmpty())
        .transform(
            x -> {
              List<Future<Void>> closing = new ArrayList<>();
              closing.add(issuerKeys.close());
              sources.forEach(s -> closing.add(s.close()));
              return Future.join(closing).<Void>mapEmpty();
            })
        .eventually(database::close)
        .mapEmpty();
  }
}
