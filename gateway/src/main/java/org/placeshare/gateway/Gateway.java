package org.placeshare.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.consent.IssuerKeys;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.GatewayRoutes;
import org.placeshare.gateway.http.RequestFraming;
import org.placeshare.gateway.linkage.LinkageSync;
import org.placeshare.gateway.mapping.MappingStore;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.gateway.observability.Metrics;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.register.NationalOptOuts;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.gateway.release.PersonRelease;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.trust.ClientStore;
import org.placeshare.gateway.trust.CrlStore;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;

/**
 * A running gateway: database (embedded or external) migrated, agreements loaded, keys read,
 * sources connected, HTTP listening. Start-up fails, and nothing listens, if any of these fails.
 */
public final class Gateway {

  private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

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
  private final LinkageSync linkage;
  private final DeliveryWorker delivery;
  private final Optional<ReferenceIndex> referenceIndex;
  private final MappingStore mappings;
  private final Optional<Witnessing> witnessing;

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
      Optional<CrlStore> crl,
      LinkageSync linkage,
      DeliveryWorker delivery,
      Optional<ReferenceIndex> referenceIndex,
      MappingStore mappings,
      Optional<Witnessing> witnessing) {
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
    this.linkage = linkage;
    this.delivery = delivery;
    this.referenceIndex = referenceIndex;
    this.mappings = mappings;
    this.witnessing = witnessing;
  }

  /**
   * The gateway's database, for a tool run in the same process beside it: the demo's witnesses keep
   * their own tables there. Never a way around the gateway's own rules for its tables.
   */
  public Pool pool() {
    return database.pool();
  }

  /** The audit tree: checkpoints and proofs. */
  public AuditTree auditTree() {
    return tree;
  }

  public static Future<Gateway> start(Vertx vertx, GatewayConfig config, Clock clock) {
    ConfiguredParts parts;
    try {
      parts = ConfiguredParts.read(vertx, config, clock);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    PolicyStore policy = parts.policy();
    ClientStore clients = parts.clients();
    Optional<CrlStore> crl = parts.crl();
    List<RecordSource> sources = parts.sources();
    AccessTokens tokens = new AccessTokens(parts.signingKey(), config.publicUrl(), clients, clock);
    ClientAssertionVerifier assertions =
        new ClientAssertionVerifier(clients, config.tokenUrl(), clock);
    return IssuerKeys.start(vertx, config, parts.consentKey(), clock)
        .compose(
            issuerKeys ->
                Database.open(
                        vertx,
                        config.databaseUrl().orElse(null),
                        config.dataDir().resolve("postgres"))
                    .compose(
                        db -> {
                          // Job callers are handed out here only, to the jobs store.
                          ExportJobs exportJobs = new ExportJobs(db.pool(), tokens.jobCallers());
                          Components c =
                              Components.wire(
                                  vertx,
                                  config,
                                  clock,
                                  parts,
                                  tokens,
                                  assertions,
                                  issuerKeys,
                                  db,
                                  exportJobs);
                          Metrics metrics = c.metrics();
                          AuditLog audit = c.audit();
                          AuditTree tree = c.tree();
                          Optional<NationalOptOuts> optOuts = c.optOuts();
                          ExportRunner runner = c.runner();
                          PersonRelease release = c.release();
                          HttpServerOptions serverOptions = parts.serverOptions();
                          var services = c.services();
                          return audit
                              .adoptUntreed()
                              .compose(adopted -> clients.record(db.pool(), audit))
                              .compose(adopted -> parts.mappings().auditTo(audit))
                              .compose(
                                  adopted ->
                                      optOuts
                                          .map(o -> o.load(vertx).<Void>mapEmpty())
                                          .orElse(Future.succeededFuture()))
                              .compose(
                                  v ->
                                      c.witnessing()
                                          .map(Witnessing::prepare)
                                          .orElse(Future.succeededFuture()))
                              .compose(
                                  v ->
                                      vertx
                                          .createHttpServer(serverOptions)
                                          // Framing checked before any route sees a request.
                                          .connectionHandler(
                                              RequestFraming.forConnections(
                                                  serverOptions, audit, clock))
                                          .requestHandler(GatewayRoutes.create(vertx, services))
                                          .listen())
                              .compose(
                                  server ->
                                      Listeners.management(
                                              vertx, config, policy, db, sources, metrics)
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
                                    parts.mappings().watch(vertx, config.policyPoll());
                                    clients.watch(vertx, config.policyPoll());
                                    crl.ifPresent(l -> l.watch(vertx, config.policyPoll()));
                                    optOuts.ifPresent(o -> o.watch(vertx, config.policyPoll()));
                                    tree.start(vertx);
                                    runner.start();
                                    c.linkage().start();
                                    c.delivery().start();
                                    c.witnessing().ifPresent(Witnessing::start);
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
                                        crl,
                                        c.linkage(),
                                        c.delivery(),
                                        parts.referenceIndex(),
                                        parts.mappings(),
                                        c.witnessing());
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

  /** The client registry in force and its reload status. */
  public ClientStore clients() {
    return clients;
  }

  /** The client CA's revocation list in force, when one is configured. */
  public Optional<CrlStore> revocationList() {
    return crl;
  }

  /**
   * For tests in this package: the cohort runner's part of {@link #stop} alone, asked at once, so a
   * test can stop a job at a chosen chunk (the rest of the stop still runs it, at no cost).
   */
  Future<Void> stopCohortJobs() {
    return runner.stop();
  }

  /** For tests in this package: witnessing, when configured. */
  Optional<Witnessing> witnessing() {
    return witnessing;
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

  /** The household register (residences and family ties), for seeding and importing. */
  public HouseholdRegister householdRegister() {
    return new HouseholdRegister(database.pool());
  }

  /** The one release path, for tests of its rules without HTTP. */
  PersonRelease release() {
    return release;
  }

  /** For tests in this package: the notification delivery worker. */
  DeliveryWorker delivery() {
    return delivery;
  }

  /** For tests in this package: the linkage register and its sync. */
  LinkageSync linkage() {
    return linkage;
  }

  /** For tests in this package: the database the gateway writes to. */
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
    mappings.stop(vertx);
    crl.ifPresent(c -> c.stop(vertx));
    optOuts.ifPresent(o -> o.stop(vertx));
    tree.stop(vertx);
    return server
        .shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)
        .transform(x -> management.close())
        // The chunk in hand is finished and checkpointed; the job resumes at the next start.
        .transform(x -> runner.stop())
        // A sync in hand ends at its next entry; the next start goes on from the register.
        .transform(x -> linkage.stop())
        // Leases in hand expire; another instance, or the next start, tries them again.
        .transform(x -> delivery.stop())
        .transform(x -> witnessing.map(Witnessing::stop).orElse(Future.<Void>succeededFuture()))
        .transform(x -> audit.drain())
        .transform(x -> tree.checkpoint().<Void>mapEmpty().otherwiseEmpty())
        .transform(
            x -> {
              List<Future<Void>> closing = new ArrayList<>();
              closing.add(issuerKeys.close());
              sources.forEach(s -> closing.add(s.close()));
              referenceIndex.ifPresent(i -> closing.add(i.close()));
              return Future.join(closing).<Void>mapEmpty();
            })
        .eventually(database::close)
        .mapEmpty();
  }
}
