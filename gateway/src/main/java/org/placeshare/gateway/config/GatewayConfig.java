package org.placeshare.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.notify.DeliveryWorker;
import org.placeshare.policy.SensitiveCategory;

/**
 * The gateway's configuration, read from one YAML file. Paths are relative to the file's folder.
 * Unknown keys and missing values are refused, every problem listed.
 *
 * @param publicUrl the gateway's own URL as clients reach it: issuer and audience of its tokens,
 *     and (with {@code /oauth2/token}) the audience client assertions must name
 * @param databaseUrl a PostgreSQL URL; empty runs the embedded server in {@code dataDir/postgres}
 * @param organisations the parties the gateway knows, by ODS code; agreements, clients and sources
 *     may name only these
 * @param agreementSigners public keys of the IG leads who sign agreement files
 * @param agreementSignaturesRequired refuse agreement files without a valid signature
 * @param policyPoll how often the agreements folder is checked for changes
 * @param consentKey the key the gateway signs consents with for issuers that record through it
 * @param consentIssuers the consent recorders whose tokens the gateway verifies
 * @param issuerTrustCa CA certificates (PEM) trusted for fetching issuers' key sets over https, in
 *     place of the Java platform's
 * @param nationalOptOuts a file of NHS numbers, one per line, that have registered a national data
 *     opt-out; loaded into the register at start and whenever it changes
 * @param tls serve https, and with a client CA require client certificates (mutual TLS)
 * @param auditKey the key audit checkpoints are signed with (PEM); the token key when absent
 * @param maxConcurrentRequests requests served at once; beyond it, 503 with Retry-After
 * @param clientRequestsPerMinute person-level requests per client per minute, fleet-wide
 * @param pseudonymKey a file holding the secret (base64url, 32 bytes or more) that keys
 *     per-agreement pseudonyms; without it, agreements asking for pseudonyms release no identifier
 * @param cohorts cohort registration and bulk export limits
 * @param clientsFile where the client registry is reloaded from while the gateway runs: the file
 *     named by {@code clientsFile}, or this configuration file when clients are listed inline
 * @param management where metrics and detailed health are served: loopback by default
 * @param linkage how often traced sources are synced with the linkage register
 * @param referenceIndex the reference demographic index people are traced against, if any
 * @param notifications the delivery worker's timings: how often, how many, how long, how many tries
 * @param auditNoteKey the Ed25519 signed-note key (Go's {@code PRIVATE+KEY+name+hash+key} form) the
 *     log's C2SP checkpoints are signed with; without it, {@code GET /audit/checkpoint} has no note
 *     to serve
 * @param witnessing the partner witnesses checkpoints are submitted to, and what follows when they
 *     fall behind; {@link WitnessingConfig#NONE} by default
 */
public record GatewayConfig(
    String host,
    int port,
    String publicUrl,
    Path dataDir,
    Optional<String> databaseUrl,
    Path signingKey,
    Path agreements,
    List<Path> agreementSigners,
    boolean agreementSignaturesRequired,
    Duration policyPoll,
    List<Organisation> organisations,
    List<Client> clients,
    List<Source> sources,
    Optional<Path> consentKey,
    List<ConsentIssuer> consentIssuers,
    Optional<Path> issuerTrustCa,
    Optional<Path> nationalOptOuts,
    Optional<Tls> tls,
    Optional<Path> pseudonymKey,
    Optional<Path> auditKey,
    int maxConcurrentRequests,
    int clientRequestsPerMinute,
    Cohorts cohorts,
    Optional<ClientsFile> clientsFile,
    Management management,
    Linkage linkage,
    Optional<ReferenceIndexConfig> referenceIndex,
    DeliveryWorker.Settings notifications,
    Optional<Path> auditNoteKey,
    WitnessingConfig witnessing) {

  /**
   * The reference demographic index (as PDS is in England) people are traced against: its FHIR base
   * URL, one deadline per search, and the same credentials a source may have. Absent, nothing is
   * traced and {@code Patient/$match} answers that tracing is not configured.
   */
  public record ReferenceIndexConfig(
      URI baseUrl,
      Duration deadline,
      Optional<Path> bearerTokenFile,
      Optional<Path> trustCa,
      Optional<Path> certificate,
      Optional<Path> privateKey) {

    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);

    /** An index reached with no credentials. */
    public ReferenceIndexConfig(URI baseUrl, Duration deadline) {
      this(
          baseUrl,
          deadline,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());
    }
  }

  /** This configuration tracing against the given reference index. */
  public GatewayConfig withReferenceIndex(ReferenceIndexConfig index) {
    return new GatewayConfig(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        linkage,
        Optional.of(index),
        notifications,
        auditNoteKey,
        witnessing);
  }

  /** This configuration delivering notifications with the given timings. */
  public GatewayConfig withNotifications(DeliveryWorker.Settings timings) {
    return new GatewayConfig(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        linkage,
        referenceIndex,
        timings,
        auditNoteKey,
        witnessing);
  }

  /** A configuration without a note key: checkpoints are signed as JWS only. */
  public GatewayConfig(
      String host,
      int port,
      String publicUrl,
      Path dataDir,
      Optional<String> databaseUrl,
      Path signingKey,
      Path agreements,
      List<Path> agreementSigners,
      boolean agreementSignaturesRequired,
      Duration policyPoll,
      List<Organisation> organisations,
      List<Client> clients,
      List<Source> sources,
      Optional<Path> consentKey,
      List<ConsentIssuer> consentIssuers,
      Optional<Path> issuerTrustCa,
      Optional<Path> nationalOptOuts,
      Optional<Tls> tls,
      Optional<Path> pseudonymKey,
      Optional<Path> auditKey,
      int maxConcurrentRequests,
      int clientRequestsPerMinute,
      Cohorts cohorts,
      Optional<ClientsFile> clientsFile,
      Management management,
      Linkage linkage,
      Optional<ReferenceIndexConfig> referenceIndex,
      DeliveryWorker.Settings notifications) {
    this(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        linkage,
        referenceIndex,
        notifications,
        Optional.empty(),
        WitnessingConfig.NONE);
  }

  /** This configuration signing C2SP checkpoints with the note key in {@code file}. */
  public GatewayConfig withAuditNoteKey(Path file) {
    return new GatewayConfig(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        linkage,
        referenceIndex,
        notifications,
        Optional.of(file),
        witnessing);
  }

  /** This configuration submitting checkpoints to these witnesses. */
  public GatewayConfig withWitnessing(WitnessingConfig witnesses) {
    return new GatewayConfig(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        linkage,
        referenceIndex,
        notifications,
        auditNoteKey,
        witnesses);
  }

  /**
   * The file the client registry is reloaded from.
   *
   * @param configuration true when it is the whole gateway configuration (clients listed inline): a
   *     reload reads and checks all of it, and only its clients take effect before a restart
   */
  public record ClientsFile(Path path, boolean configuration) {}

  /**
   * A configuration built in code (tests, the demo): clients fixed until a restart, and the
   * management listener on loopback at a port chosen when it starts.
   */
  public GatewayConfig(
      String host,
      int port,
      String publicUrl,
      Path dataDir,
      Optional<String> databaseUrl,
      Path signingKey,
      Path agreements,
      List<Path> agreementSigners,
      boolean agreementSignaturesRequired,
      Duration policyPoll,
      List<Organisation> organisations,
      List<Client> clients,
      List<Source> sources,
      Optional<Path> consentKey,
      List<ConsentIssuer> consentIssuers,
      Optional<Path> issuerTrustCa,
      Optional<Path> nationalOptOuts,
      Optional<Tls> tls,
      Optional<Path> pseudonymKey,
      Optional<Path> auditKey,
      int maxConcurrentRequests,
      int clientRequestsPerMinute,
      Cohorts cohorts) {
    this(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        Optional.empty(),
        new Management(Management.DEFAULT_HOST, 0));
  }

  /**
   * A configuration built in code with the default linkage settings, no reference index and the
   * default delivery timings.
   */
  public GatewayConfig(
      String host,
      int port,
      String publicUrl,
      Path dataDir,
      Optional<String> databaseUrl,
      Path signingKey,
      Path agreements,
      List<Path> agreementSigners,
      boolean agreementSignaturesRequired,
      Duration policyPoll,
      List<Organisation> organisations,
      List<Client> clients,
      List<Source> sources,
      Optional<Path> consentKey,
      List<ConsentIssuer> consentIssuers,
      Optional<Path> issuerTrustCa,
      Optional<Path> nationalOptOuts,
      Optional<Tls> tls,
      Optional<Path> pseudonymKey,
      Optional<Path> auditKey,
      int maxConcurrentRequests,
      int clientRequestsPerMinute,
      Cohorts cohorts,
      Optional<ClientsFile> clientsFile,
      Management management) {
    this(
        host,
        port,
        publicUrl,
        dataDir,
        databaseUrl,
        signingKey,
        agreements,
        agreementSigners,
        agreementSignaturesRequired,
        policyPoll,
        organisations,
        clients,
        sources,
        consentKey,
        consentIssuers,
        issuerTrustCa,
        nationalOptOuts,
        tls,
        pseudonymKey,
        auditKey,
        maxConcurrentRequests,
        clientRequestsPerMinute,
        cohorts,
        clientsFile,
        management,
        Linkage.defaults(),
        Optional.empty(),
        DeliveryWorker.Settings.DEFAULTS);
  }

  /**
   * Tracing agencies' records to NHS numbers (docs/operations.md).
   *
   * @param syncEvery how often each traced source's roster is read and traced again
   */
  public record Linkage(Duration syncEvery) {

    public static final int DEFAULT_SYNC_MINUTES = 15;

    public static Linkage defaults() {
      return new Linkage(Duration.ofMinutes(DEFAULT_SYNC_MINUTES));
    }
  }

  /**
   * The management listener: Prometheus metrics and detailed health, plain HTTP with no
   * credentials, so on loopback unless an operator puts it on a private network on purpose. The
   * public listener serves neither (docs/operations.md).
   *
   * @param port 0 takes a free port, as the main port does; {@link Gateway#managementPort()} tells
   *     which
   */
  public record Management(String host, int port) {

    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Prometheus exporters' customary range; the metrics of one gateway instance per host. */
    public static final int DEFAULT_PORT = 9464;
  }

  /**
   * Cohorts and their bulk jobs.
   *
   * @param maxMembers the most NHS numbers in one cohort
   * @param concurrency members a job decides and fetches at once (its sources see no more)
   * @param lease how long an instance holds a job between checkpoints before another may resume it
   * @param keep how long a finished job's files are kept
   * @param suppressBelow population figures under this are suppressed
   * @param maxJobsPerClient jobs a client may have queued or running at once
   * @param directory where job files are written when {@code store} is the folder
   * @param store where job files are kept: this machine's folder, or the database every instance
   *     reaches
   */
  public record Cohorts(
      int maxMembers,
      int concurrency,
      Duration lease,
      Duration keep,
      int suppressBelow,
      int maxJobsPerClient,
      Path directory,
      FileStore store) {

    /** Where a job's files are kept ({@code cohorts.store}). */
    public enum FileStore {
      /** Under {@code directory} on this machine: the single-machine default. */
      FOLDER,
      /** In the gateway's PostgreSQL, so that every instance of a fleet serves any job's files. */
      DATABASE;

      /** The word in gateway.yaml. */
      public String code() {
        return name().toLowerCase(Locale.ROOT);
      }
    }

    /** Files in {@code directory}, as before the store could be chosen. */
    public Cohorts(
        int maxMembers,
        int concurrency,
        Duration lease,
        Duration keep,
        int suppressBelow,
        int maxJobsPerClient,
        Path directory) {
      this(
          maxMembers,
          concurrency,
          lease,
          keep,
          suppressBelow,
          maxJobsPerClient,
          directory,
          FileStore.FOLDER);
    }

    /** The defaults, with files under {@code dataDir/exports}. */
    public static Cohorts defaults(Path dataDir) {
      return new Cohorts(
          20_000,
          8,
          Duration.ofSeconds(30),
          Duration.ofHours(24),
          10,
          2,
          dataDir.resolve("exports"),
          FileStore.FOLDER);
    }
  }

  /**
   * A consent recorder, by ODS code, with its keys as a JWKS file or an https URL, the algorithms
   * it may sign with, and whether it may have the gateway record and sign consents for it.
   */
  public record ConsentIssuer(
      String organisation,
      Optional<Path> jwks,
      Optional<URI> jwksUrl,
      Set<String> algorithms,
      boolean viaGateway) {}

  /**
   * The gateway's TLS: its certificate chain and key (PEM); with {@code clientCa}, clients must
   * present a certificate issued by that CA that names their registered client id (see {@code
   * CertificateIdentity}); with {@code clientCrl}, one the CA has not revoked (the CRL file is
   * reloaded when it changes).
   */
  public record Tls(
      Path certificate, Path privateKey, Optional<Path> clientCa, Optional<Path> clientCrl) {

    public Tls(Path certificate, Path privateKey, Optional<Path> clientCa) {
      this(certificate, privateKey, clientCa, Optional.empty());
    }
  }

  /** A party to agreements: a GP practice, trust, council or other body. */
  public record Organisation(String code, String name) {}

  /**
   * A registered client system.
   *
   * @param purposes the purposes of use it may claim
   * @param roles the user roles it may vouch for ({@code user_role} in its assertions), e.g. {@code
   *     clinician}; only a client registered for {@code ig-lead} can act for an IG lead
   * @param status {@value #ACTIVE} or {@value #SUSPENDED}
   * @param publicKey today's single EC P-256 key (PEM); null when the client registered a key set
   * @param jwks a public JWK Set file (SMART Backend Services), if the client registered one
   * @param jwksUrl where the client publishes its JWK Set, fetched and kept current, if registered
   * @param kind {@value #USER} (the default) or {@value #SYSTEM}: a system client acts for no user
   */
  public record Client(
      String id,
      String organisation,
      Path publicKey,
      Set<String> purposes,
      Set<String> roles,
      String status,
      Set<String> notificationHosts,
      Optional<Path> jwks,
      Optional<URI> jwksUrl,
      String kind) {

    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";
    public static final String USER = "user";
    public static final String SYSTEM = "system";

    public Client {
      notificationHosts = Set.copyOf(notificationHosts);
    }

    /** A user-facing client with a PEM key and these notification hosts. */
    public Client(
        String id,
        String organisation,
        Path publicKey,
        Set<String> purposes,
        Set<String> roles,
        String status,
        Set<String> notificationHosts) {
      this(
          id,
          organisation,
          publicKey,
          purposes,
          roles,
          status,
          notificationHosts,
          Optional.empty(),
          Optional.empty(),
          USER);
    }

    /** A client with no notification hosts: it may not subscribe to change notifications. */
    public Client(
        String id,
        String organisation,
        Path publicKey,
        Set<String> purposes,
        Set<String> roles,
        String status) {
      this(id, organisation, publicKey, purposes, roles, status, Set.of());
    }

    /** The same client, its notification endpoints allowed on these hosts. */
    public Client withNotificationHosts(Set<String> hosts) {
      return new Client(
          id, organisation, publicKey, purposes, roles, status, hosts, jwks, jwksUrl, kind);
    }

    /** An active client. */
    public Client(
        String id, String organisation, Path publicKey, Set<String> purposes, Set<String> roles) {
      this(id, organisation, publicKey, purposes, roles, ACTIVE);
    }
  }

  /**
   * A record source, in order of authority (the first that holds a person supplies the view's
   * Patient).
   *
   * @param kind {@code fhir} (a FHIR R4 server) or {@code mapped} (a JSON API and a mapping file)
   * @param bearerTokenFile a file holding the token the gateway presents to the source
   * @param trustCa the CA the source's https certificate is checked against
   * @param certificate with {@code privateKey}: the gateway's client certificate (mutual TLS)
   */
  public record Source(
      String id,
      String organisation,
      String baseUrl,
      Duration deadline,
      List<String> resourceTypes,
      String kind,
      Optional<Path> mapping,
      Optional<Path> bearerTokenFile,
      Optional<Path> trustCa,
      Optional<Path> certificate,
      Optional<Path> privateKey,
      Set<SensitiveCategory> holds) {

    public static final String FHIR = "fhir";

    public Source {
      holds = Set.copyOf(holds);
    }

    /** A source of no particular sensitive category as a whole. */
    public Source(
        String id,
        String organisation,
        String baseUrl,
        Duration deadline,
        List<String> resourceTypes,
        String kind,
        Optional<Path> mapping,
        Optional<Path> bearerTokenFile,
        Optional<Path> trustCa,
        Optional<Path> certificate,
        Optional<Path> privateKey) {
      this(
          id,
          organisation,
          baseUrl,
          deadline,
          resourceTypes,
          kind,
          mapping,
          bearerTokenFile,
          trustCa,
          certificate,
          privateKey,
          Set.of());
    }

    public static final String MAPPED = "mapped";

    /** A FHIR source reached with no credentials. */
    public Source(
        String id, String organisation, String baseUrl, Duration deadline, List<String> types) {
      this(
          id,
          organisation,
          baseUrl,
          deadline,
          types,
          FHIR,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());
    }
  }

  public GatewayConfig {
    agreementSigners = List.copyOf(agreementSigners);
    organisations = List.copyOf(organisations);
    clients = List.copyOf(clients);
    sources = List.copyOf(sources);
    consentIssuers = List.copyOf(consentIssuers);
  }

  /** True when clients must present certificates from the configured CA. */
  public boolean mutualTls() {
    return tls.flatMap(Tls::clientCa).isPresent();
  }

  /** The audit log's origin, named in its signed checkpoints. */
  public String auditOrigin() {
    return publicUrl + "/audit";
  }

  /**
   * The log's C2SP origin, and its note key's name: publicUrl's host and path, without scheme, port
   * or user, then {@code /audit} ({@code https://gw.example:8443/place} gives {@code
   * gw.example/place/audit}), as tlog-checkpoint asks for a schema-less URL naming this log. The
   * port is left out so that a log keeps its name when only its listener moves.
   */
  public String auditNoteOrigin() {
    return auditNoteOrigin(publicUrl);
  }

  /** The C2SP origin of the log of a gateway at {@code publicUrl}. */
  public static String auditNoteOrigin(String publicUrl) {
    URI uri = URI.create(publicUrl);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
    return uri.getHost() + path + "/audit";
  }

  public String tokenUrl() {
    return publicUrl + "/oauth2/token";
  }

  /** Reads and checks a configuration file, with this process's environment overrides. */
  public static GatewayConfig load(Path file) {
    return load(file, System.getenv());
  }

  /** Prefix of environment variables that override top-level settings, e.g. PLACESHARE_PORT. */
  public static final String ENV_PREFIX = "PLACESHARE_";

  /** Person-level requests a client may make a minute, across the fleet, before a 429. */
  public static final int DEFAULT_CLIENT_REQUESTS_PER_MINUTE = 600;

  /** Requests served at once before the gateway answers 503 with Retry-After. */
  public static final int DEFAULT_MAX_CONCURRENT = 512;

  /** Reads and checks a configuration file, with these environment overrides. */
  public static GatewayConfig load(Path file, Map<String, String> environment) {
    return ConfigLoader.load(file, environment);
  }

  /**
   * Reads the client registry again, for a reload while the gateway runs: from a clients file, or
   * from the whole configuration file (checked whole) when clients are listed inline.
   *
   * @param organisations the ODS codes the running gateway knows; a client may name only these
   * @throws ConfigException listing every problem; the running registry then stays in force
   */
  public static List<Client> reloadClients(ClientsFile source, Set<String> organisations) {
    return ClientsSection.reload(source, organisations);
  }

  /** A configuration that cannot be used; the gateway refuses to start on it. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }
}
