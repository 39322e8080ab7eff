package org.placeshare.gateway;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.mapped.Roster;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.cohort.DatabaseExportStore;
import org.placeshare.gateway.cohort.ExportJobs;
import org.placeshare.gateway.cohort.ExportRunner;
import org.placeshare.gateway.cohort.FolderExportStore;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.gateway.consent.IssuerKeys;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.http.GatewayRoutes;
import org.placeshare.gateway.linkage.LinkageRegister;
import org.placeshare.gateway.linkage.LinkageSync;
import org.placeshare.gateway.notify.DeliveryWorker;
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
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;

/**
 * The parts that need the database, wired once it is open: metrics, audit, the one release path,
 * the cohort runner and what the routes are given.
 */
record Components(
    Metrics metrics,
    AuditLog audit,
    AuditTree tree,
    Optional<NationalOptOuts> optOuts,
    PersonRelease release,
    ExportRunner runner,
    LinkageSync linkage,
    DeliveryWorker delivery,
    GatewayRoutes.Services services,
    Optional<Witnessing> witnessing) {

  static Components wire(
      Vertx vertx,
      GatewayConfig config,
      Clock clock,
      ConfiguredParts parts,
      AccessTokens tokens,
      ClientAssertionVerifier assertions,
      IssuerKeys issuerKeys,
      Database db,
      ExportJobs exportJobs) {
    PolicyStore policy = parts.policy();
    List<RecordSource> sources = parts.sources();
    SigningKey signingKey = parts.signingKey();
    Optional<SigningKey> consentKey = parts.consentKey();
    Optional<Pseudonyms> pseudonyms = parts.pseudonyms();
    SigningKey auditKey = parts.auditKey();
    ClientStore clients = parts.clients();
    Optional<CrlStore> crl = parts.crl();
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
        new AuditTree(db.pool(), auditKey, config.auditOrigin(), parts.auditNoteKey(), clock);
    // Witnesses cosign the checkpoints signed as notes: the config requires the note key with them.
    Optional<Witnessing> witnessing =
        config.witnessing().configured()
            ? Optional.of(
                new Witnessing(
                    vertx,
                    db.pool(),
                    tree,
                    parts
                        .auditNoteKey()
                        // Never silently unwitnessed (nor, failing closed, silently open).
                        .orElseThrow(
                            () ->
                                new IllegalStateException(
                                    "witnesses are configured but no auditNoteKey: they cosign"
                                        + " notes"))
                        .verifierKey(),
                    config.witnessing(),
                    clock))
            : Optional.empty();
    witnessing.ifPresent(metrics::witnessing);
    Optional<NationalOptOuts> optOuts =
        config.nationalOptOuts().map(f -> new NationalOptOuts(f, db.pool(), clock));
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
            parts.referenceIndex(),
            metrics,
            witnessing,
            clock);
    MemberRelease memberRelease = new MemberRelease(release);
    GatewayConfig.Cohorts c = config.cohorts();
    ExportRunner runner =
        new ExportRunner(
            vertx,
            exportJobs,
            new Cohorts(db.pool()),
            memberRelease,
            db.pool(),
            new HouseholdRegister(db.pool()),
            audit,
            // The folder on this machine, or the database every instance of a fleet reaches.
            c.store() == GatewayConfig.Cohorts.FileStore.DATABASE
                ? new DatabaseExportStore(db.pool())
                : new FolderExportStore(c.directory()),
            new ExportRunner.Settings(c.concurrency(), c.lease(), c.keep(), c.suppressBelow()),
            metrics,
            revocations::refusal,
            clock);
    // One register for the sync and the traced sources: it holds the sync's trouble in memory.
    LinkageRegister linkageRegister = new LinkageRegister(db.pool());
    parts.links().join(linkageRegister);
    List<Roster> rosters =
        sources.stream().filter(s -> s instanceof Roster).map(s -> (Roster) s).toList();
    LinkageSync linkage =
        new LinkageSync(
            vertx,
            db.pool(),
            linkageRegister,
            parts.referenceIndex(),
            rosters,
            audit,
            config.linkage().syncEvery(),
            clock);
    // The outbox's sender, deciding each notification at delivery and signing it with the key in
    // the JWKS.
    DeliveryWorker delivery =
        new DeliveryWorker(
            vertx,
            db.pool(),
            policy,
            new PatientRegister(db.pool()),
            new ConsentRegister(db.pool())::standing,
            clients,
            // What each source holds as a whole weighs on its notifications as on its releases.
            sources.stream()
                .map(RecordSource::descriptor)
                .collect(Collectors.toMap(SourceDescriptor::id, d -> d)),
            signingKey,
            audit,
            config.publicUrl(),
            config.notifications(),
            metrics,
            tokens.jobCallers(),
            witnessing,
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
            clock,
            linkage,
            parts.referenceIndex(),
            new HouseholdRegister(db.pool()),
            witnessing);
    return new Components(
        metrics, audit, tree, optOuts, release, runner, linkage, delivery, services, witnessing);
  }
}
