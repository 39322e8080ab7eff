package org.placeshare.gateway.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.identity.RegisteredClient;

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
    Management management) {

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
   * @param directory where job files are written; shared storage when several instances run
   */
  public record Cohorts(
      int maxMembers,
      int concurrency,
      Duration lease,
      Duration keep,
      int suppressBelow,
      int maxJobsPerClient,
      Path directory) {

    /** The defaults, with files under {@code dataDir/exports}. */
    public static Cohorts defaults(Path dataDir) {
      return new Cohorts(
          20_000,
          8,
          Duration.ofSeconds(30),
          Duration.ofHours(24),
          10,
          2,
          dataDir.resolve("exports"));
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
   */
  public record Client(
      String id,
      String organisation,
      Path publicKey,
      Set<String> purposes,
      Set<String> roles,
      String status) {

    public static final String ACTIVE = "active";
    public static final String SUSPENDED = "suspended";

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
      Optional<Path> privateKey) {

    public static final String FHIR = "fhir";
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

  private static final int MAX_CONFIG_BYTES = 256 * 1024;

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

  public String tokenUrl() {
    return publicUrl + "/oauth2/token";
  }

  record Raw(
      String host,
      Integer port,
      String publicUrl,
      String dataDir,
      String databaseUrl,
      String signingKey,
      String agreements,
      List<String> agreementSigners,
      Boolean agreementSignaturesRequired,
      Long policyPollMillis,
      List<Organisation> organisations,
      List<RawClient> clients,
      List<RawSource> sources,
      String consentKey,
      List<RawConsentIssuer> consentIssuers,
      String issuerTrustCa,
      String nationalOptOuts,
      RawTls tls,
      String pseudonymKey,
      String auditKey,
      Integer maxConcurrentRequests,
      Integer clientRequestsPerMinute,
      RawCohorts cohorts,
      String clientsFile,
      RawManagement management) {}

  /** A clients file: the registry alone, reloaded while the gateway runs. */
  record RawClientsFile(List<RawClient> clients) {}

  record RawManagement(String host, Integer port) {}

  record RawCohorts(
      Integer maxMembers,
      Integer concurrency,
      Long leaseSeconds,
      Long keepHours,
      Integer suppressBelow,
      Integer maxJobsPerClient,
      String directory) {}

  record RawConsentIssuer(
      String organisation,
      String jwks,
      String jwksUrl,
      List<String> algorithms,
      Boolean viaGateway) {}

  record RawTls(String certificate, String privateKey, String clientCa, String clientCrl) {}

  record RawClient(
      String id,
      String organisation,
      String publicKey,
      List<String> purposes,
      List<String> roles,
      String status) {}

  record RawSource(
      String id,
      String organisation,
      String baseUrl,
      Long deadlineMillis,
      List<String> resourceTypes,
      String kind,
      String mapping,
      String bearerTokenFile,
      String trustCa,
      String certificate,
      String privateKey) {}

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

  /** Hosts on which plain HTTP is allowed: nothing else can reach them. */
  static final Set<String> LOOPBACK = Set.of("127.0.0.1", "::1", "localhost");

  /** Top-level settings an environment variable may override: the ones that differ per host. */
  static final Set<String> OVERRIDABLE =
      Set.of(
          "host",
          "port",
          "publicUrl",
          "dataDir",
          "databaseUrl",
          "policyPollMillis",
          "clientRequestsPerMinute");

  /** The overridable settings that are whole numbers. */
  private static final Set<String> WHOLE =
      Set.of("port", "policyPollMillis", "clientRequestsPerMinute");

  /**
   * Applies {@code PLACESHARE_DATABASE_URL}-style overrides, and reads {@code databaseUrlFile} (a
   * secret's file: the URL holds the database password) into {@code databaseUrl}.
   */
  private static void overrides(ObjectNode tree, Map<String, String> env, Path base)
      throws IOException {
    for (String key : OVERRIDABLE) {
      String value = env.get(ENV_PREFIX + key.replaceAll("([A-Z])", "_$1").toUpperCase());
      if (value != null) {
        if (WHOLE.contains(key)) {
          try {
            tree.put(key, Long.parseLong(value.strip()));
          } catch (NumberFormatException e) {
            throw new ConfigException(ENV_PREFIX + key + ": expected a whole number");
          }
        } else {
          tree.put(key, value);
        }
      }
    }
    String managementPort = env.get(ENV_PREFIX + "MANAGEMENT_PORT");
    if (managementPort != null) {
      try {
        tree.withObjectProperty("management").put("port", Long.parseLong(managementPort.strip()));
      } catch (NumberFormatException e) {
        throw new ConfigException(ENV_PREFIX + "MANAGEMENT_PORT: expected a whole number");
      }
    }
    JsonNode secretFile = tree.remove("databaseUrlFile");
    if (secretFile != null && !tree.has("databaseUrl")) {
      tree.put("databaseUrl", Files.readString(base.resolve(secretFile.asText())).strip());
    }
  }

  /** Reads and checks a configuration file, with these environment overrides. */
  public static GatewayConfig load(Path file, Map<String, String> environment) {
    Raw raw;
    try {
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new ConfigException(file + ": expected at most " + MAX_CONFIG_BYTES + " bytes");
      }
      ObjectMapper yaml =
          new ObjectMapper(new YAMLFactory())
              .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
      JsonNode tree = yaml.readTree(file.toFile());
      if (tree instanceof ObjectNode object) {
        overrides(object, environment, file.toAbsolutePath().getParent());
      }
      raw = tree == null || tree.isMissingNode() ? null : yaml.treeToValue(tree, Raw.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(file + ": unknown key '" + e.getPropertyName() + "'");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read as a configuration: " + e.getMessage());
    }
    if (raw == null) {
      throw new ConfigException(file + ": the file is empty");
    }
    Path base = file.toAbsolutePath().getParent();
    List<String> problems = new ArrayList<>();
    String host = required(problems, "host", raw.host());
    int port = raw.port() == null ? -1 : raw.port();
    if (port < 0 || port > 65535) {
      problems.add("port: expected 0 to 65535, got " + raw.port());
    }
    String publicUrl =
        raw.publicUrl() != null ? strip(raw.publicUrl()) : "http://" + host + ":" + port;
    List<Organisation> organisations =
        raw.organisations() == null ? List.of() : raw.organisations();
    if (organisations.isEmpty()) {
      problems.add("organisations: expected at least one organisation (code and name), got none");
    }
    Set<String> codes = new HashSet<>();
    for (Organisation o : organisations) {
      if (o == null || o.code() == null || o.name() == null) {
        problems.add("organisations[]: expected a code and a name");
      } else if (!codes.add(o.code())) {
        problems.add("organisations[]: expected each code once, got " + o.code() + " again");
      }
    }
    long pollMillis = raw.policyPollMillis() == null ? 2000 : raw.policyPollMillis();
    if (pollMillis < 100 || pollMillis > 3_600_000) {
      problems.add("policyPollMillis: expected 100 to 3600000, got " + pollMillis);
    }
    List<Path> signers = new ArrayList<>();
    for (String signer :
        raw.agreementSigners() == null ? List.<String>of() : raw.agreementSigners()) {
      signers.add(path(base, required(problems, "agreementSigners[]", signer)));
    }
    boolean signaturesRequired = Boolean.TRUE.equals(raw.agreementSignaturesRequired());
    if (signaturesRequired && signers.isEmpty()) {
      problems.add(
          "agreementSigners: expected at least one IG public key when agreementSignaturesRequired is true, got none");
    }
    List<Client> clients = new ArrayList<>();
    for (RawClient c : raw.clients() == null ? List.<RawClient>of() : raw.clients()) {
      clients.add(client(problems, base, c));
    }
    ClientsFile clientsFile = new ClientsFile(file.toAbsolutePath(), true);
    if (raw.clientsFile() != null) {
      clientsFile = new ClientsFile(path(base, raw.clientsFile()), false);
      if (raw.clients() != null) {
        problems.add("clients: expected the clients inline or a clientsFile, not both");
      } else {
        try {
          clients.addAll(clients(clientsFile.path(), Set.of()));
        } catch (ConfigException e) {
          problems.add("clientsFile: " + e.getMessage());
        }
      }
    }
    onceEach(problems, clients);
    List<Source> sources = new ArrayList<>();
    for (RawSource s : raw.sources() == null ? List.<RawSource>of() : raw.sources()) {
      String kind = s.kind() == null ? Source.FHIR : s.kind();
      String key = "sources[" + s.id() + "]";
      if (!kind.equals(Source.FHIR) && !kind.equals(Source.MAPPED)) {
        problems.add(key + ".kind: expected fhir or mapped, got " + kind);
      }
      if (kind.equals(Source.MAPPED) && s.mapping() == null) {
        problems.add(key + ".mapping: expected a mapping file for a mapped source, got nothing");
      }
      if ((s.certificate() == null) != (s.privateKey() == null)) {
        problems.add(key + ": expected certificate and privateKey together");
      }
      sources.add(
          new Source(
              required(problems, "sources[].id", s.id()),
              required(problems, "sources[].organisation", s.organisation()),
              required(problems, "sources[].baseUrl", s.baseUrl()),
              Duration.ofMillis(s.deadlineMillis() == null ? 5000 : s.deadlineMillis()),
              s.resourceTypes() == null ? List.of() : s.resourceTypes(),
              kind,
              Optional.ofNullable(path(base, s.mapping())),
              Optional.ofNullable(path(base, s.bearerTokenFile())),
              Optional.ofNullable(path(base, s.trustCa())),
              Optional.ofNullable(path(base, s.certificate())),
              Optional.ofNullable(path(base, s.privateKey()))));
    }
    List<ConsentIssuer> issuers = consentIssuers(problems, base, raw.consentIssuers());
    int maxConcurrent =
        raw.maxConcurrentRequests() == null ? DEFAULT_MAX_CONCURRENT : raw.maxConcurrentRequests();
    int perMinute =
        raw.clientRequestsPerMinute() == null
            ? DEFAULT_CLIENT_REQUESTS_PER_MINUTE
            : raw.clientRequestsPerMinute();
    if (perMinute < 1 || perMinute > 1_000_000) {
      problems.add("clientRequestsPerMinute: expected 1 to 1000000, got " + perMinute);
    }
    Optional<Path> consentKey = Optional.ofNullable(path(base, raw.consentKey()));
    if (consentKey.isEmpty() && issuers.stream().anyMatch(ConsentIssuer::viaGateway)) {
      problems.add("consentKey: expected a key file when an issuer has viaGateway: true, got none");
    }
    Optional<Tls> tls = Optional.empty();
    if (raw.tls() != null) {
      tls =
          Optional.of(
              new Tls(
                  path(base, required(problems, "tls.certificate", raw.tls().certificate())),
                  path(base, required(problems, "tls.privateKey", raw.tls().privateKey())),
                  Optional.ofNullable(path(base, raw.tls().clientCa())),
                  Optional.ofNullable(path(base, raw.tls().clientCrl()))));
      if (raw.tls().clientCrl() != null && raw.tls().clientCa() == null) {
        problems.add("tls.clientCrl: expected a clientCa whose revocation list it is, got none");
      }
    }
    GatewayConfig config =
        new GatewayConfig(
            host,
            port,
            publicUrl,
            path(base, required(problems, "dataDir", raw.dataDir())),
            Optional.ofNullable(raw.databaseUrl()).filter(u -> !u.isBlank()),
            path(base, required(problems, "signingKey", raw.signingKey())),
            path(base, required(problems, "agreements", raw.agreements())),
            signers,
            signaturesRequired,
            Duration.ofMillis(pollMillis),
            organisations,
            clients,
            sources,
            consentKey,
            issuers,
            Optional.ofNullable(path(base, raw.issuerTrustCa())),
            Optional.ofNullable(path(base, raw.nationalOptOuts())),
            tls,
            Optional.ofNullable(path(base, raw.pseudonymKey())),
            Optional.ofNullable(path(base, raw.auditKey())),
            maxConcurrent,
            perMinute,
            cohorts(problems, base, raw),
            Optional.of(clientsFile),
            management(problems, raw.management(), host, port));
    if (tls.isEmpty() && host != null && !LOOPBACK.contains(host)) {
      problems.add(
          "tls: expected a certificate and privateKey when host is "
              + host
              + "; plain HTTP is served only on loopback (127.0.0.1, ::1, localhost)");
    }
    if (maxConcurrent < 1 || maxConcurrent > 100_000) {
      problems.add("maxConcurrentRequests: expected 1 to 100000, got " + maxConcurrent);
    }
    for (ConsentIssuer i : issuers) {
      unregistered(
          problems,
          codes,
          "consentIssuers[" + i.organisation() + "].organisation",
          i.organisation());
    }
    for (Client c : clients) {
      unregistered(problems, codes, "clients[" + c.id() + "].organisation", c.organisation());
    }
    for (Source s : sources) {
      unregistered(problems, codes, "sources[" + s.id() + "].organisation", s.organisation());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(file + ":\n" + String.join("\n", problems));
    }
    return config;
  }

  /** The status a client entry states; active when it states none. */
  /** One client registration, inline in the configuration or in a clients file. */
  private static Client client(List<String> problems, Path base, RawClient c) {
    return new Client(
        required(problems, "clients[].id", c.id()),
        required(problems, "clients[].organisation", c.organisation()),
        path(base, required(problems, "clients[].publicKey", c.publicKey())),
        Set.copyOf(c.purposes() == null ? List.of() : c.purposes()),
        roles(problems, c),
        status(problems, c));
  }

  private static String status(List<String> problems, RawClient c) {
    String status = c.status() == null ? Client.ACTIVE : c.status();
    if (!status.equals(Client.ACTIVE) && !status.equals(Client.SUSPENDED)) {
      problems.add(
          "clients[" + c.id() + "].status: expected active or suspended, got " + c.status());
    }
    return status;
  }

  private static void onceEach(List<String> problems, List<Client> clients) {
    Set<String> ids = new HashSet<>();
    for (Client c : clients) {
      if (c.id() != null && !ids.add(c.id())) {
        problems.add("clients[]: expected each id once, got " + c.id() + " again");
      }
    }
  }

  /**
   * Reads the client registry again, for a reload while the gateway runs: from a clients file, or
   * from the whole configuration file (checked whole) when clients are listed inline.
   *
   * @param organisations the ODS codes the running gateway knows; a client may name only these
   * @throws ConfigException listing every problem; the running registry then stays in force
   */
  public static List<Client> reloadClients(ClientsFile source, Set<String> organisations) {
    List<Client> clients =
        source.configuration() ? load(source.path()).clients() : clients(source.path(), Set.of());
    List<String> problems = new ArrayList<>();
    for (Client c : clients) {
      unregistered(
          problems, organisations, "clients[" + c.id() + "].organisation", c.organisation());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(source.path() + ":\n" + String.join("\n", problems));
    }
    return clients;
  }

  /** Reads a clients file: {@code clients:} and nothing else; paths relative to its folder. */
  static List<Client> clients(Path file, Set<String> organisations) {
    RawClientsFile raw;
    try {
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new ConfigException(file + ": expected at most " + MAX_CONFIG_BYTES + " bytes");
      }
      raw =
          new ObjectMapper(new YAMLFactory())
              .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .readValue(file.toFile(), RawClientsFile.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(file + ": unknown key '" + e.getPropertyName() + "'");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot be read as a clients file: " + e.getMessage());
    }
    if (raw == null || raw.clients() == null) {
      throw new ConfigException(file + ": expected clients: a list of client registrations");
    }
    Path base = file.toAbsolutePath().getParent();
    List<String> problems = new ArrayList<>();
    List<Client> clients = new ArrayList<>();
    for (RawClient c : raw.clients()) {
      if (c == null) {
        problems.add("clients[]: expected a client registration, got nothing");
        continue;
      }
      clients.add(client(problems, base, c));
    }
    onceEach(problems, clients);
    for (Client c : clients) {
      unregistered(
          problems, organisations, "clients[" + c.id() + "].organisation", c.organisation());
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(file + ":\n" + String.join("\n", problems));
    }
    return clients;
  }

  private static List<ConsentIssuer> consentIssuers(
      List<String> problems, Path base, List<RawConsentIssuer> raw) {
    List<ConsentIssuer> issuers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (RawConsentIssuer i : raw == null ? List.<RawConsentIssuer>of() : raw) {
      String org = required(problems, "consentIssuers[].organisation", i.organisation());
      String key = "consentIssuers[" + org + "]";
      if (org != null && !seen.add(org)) {
        problems.add(key + ": expected each organisation once");
      }
      boolean viaGateway = Boolean.TRUE.equals(i.viaGateway());
      if (i.jwks() != null && i.jwksUrl() != null) {
        problems.add(key + ": expected jwks or jwksUrl, not both");
      }
      if (i.jwks() == null && i.jwksUrl() == null && !viaGateway) {
        problems.add(key + ": expected jwks (a file), jwksUrl (https) or viaGateway: true");
      }
      Optional<URI> url = Optional.empty();
      if (i.jwksUrl() != null) {
        try {
          URI u = new URI(i.jwksUrl());
          if (!"https".equals(u.getScheme()) || u.getHost() == null) {
            problems.add(key + ".jwksUrl: expected an https URL, got " + i.jwksUrl());
          }
          url = Optional.of(u);
        } catch (URISyntaxException e) {
          problems.add(key + ".jwksUrl: expected an https URL, got " + i.jwksUrl());
        }
      }
      List<String> algorithms =
          i.algorithms() == null || i.algorithms().isEmpty() ? List.of("ES256") : i.algorithms();
      issuers.add(
          new ConsentIssuer(
              org,
              Optional.ofNullable(path(base, i.jwks())),
              url,
              Set.copyOf(algorithms),
              viaGateway));
    }
    return issuers;
  }

  private static void unregistered(
      List<String> problems, Set<String> codes, String key, String organisation) {
    if (organisation != null && !codes.isEmpty() && !codes.contains(organisation)) {
      problems.add(
          key + ": expected an organisation listed under organisations, got " + organisation);
    }
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * The roles a client may vouch for. Required, with no default: a client that could name any role
   * could name itself an IG lead.
   */
  private static Set<String> roles(List<String> problems, RawClient c) {
    String key = "clients[" + c.id() + "].roles";
    if (c.roles() == null || c.roles().isEmpty()) {
      problems.add(
          key
              + ": expected the roles this client may vouch for, e.g. roles: [clinician], got"
              + " none");
      return Set.of();
    }
    Set<String> roles = new LinkedHashSet<>();
    for (String role : c.roles()) {
      if (!RegisteredClient.isRoleName(role)) {
        problems.add(key + ": expected lower-case role names such as clinician, got " + role);
      } else {
        roles.add(role);
      }
    }
    return Set.copyOf(roles);
  }

  private static String required(List<String> problems, String key, String value) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": expected a value, got nothing");
    }
    return value;
  }

  private static Path path(Path base, String value) {
    return value == null ? null : base.resolve(value).normalize();
  }

  private static Cohorts cohorts(List<String> problems, Path base, Raw raw) {
    Path dataDir = raw.dataDir() == null ? base : path(base, raw.dataDir());
    Cohorts d = Cohorts.defaults(dataDir);
    RawCohorts c = raw.cohorts();
    if (c == null) {
      return d;
    }
    Cohorts cohorts =
        new Cohorts(
            c.maxMembers() == null ? d.maxMembers() : c.maxMembers(),
            c.concurrency() == null ? d.concurrency() : c.concurrency(),
            c.leaseSeconds() == null ? d.lease() : Duration.ofSeconds(c.leaseSeconds()),
            c.keepHours() == null ? d.keep() : Duration.ofHours(c.keepHours()),
            c.suppressBelow() == null ? d.suppressBelow() : c.suppressBelow(),
            c.maxJobsPerClient() == null ? d.maxJobsPerClient() : c.maxJobsPerClient(),
            c.directory() == null ? d.directory() : path(base, c.directory()));
    within(problems, "cohorts.maxMembers", cohorts.maxMembers(), 1, 1_000_000);
    within(problems, "cohorts.concurrency", cohorts.concurrency(), 1, 256);
    within(problems, "cohorts.leaseSeconds", cohorts.lease().toSeconds(), 2, 3600);
    within(problems, "cohorts.keepHours", cohorts.keep().toHours(), 1, 24 * 90);
    within(problems, "cohorts.suppressBelow", cohorts.suppressBelow(), 2, 1000);
    within(problems, "cohorts.maxJobsPerClient", cohorts.maxJobsPerClient(), 1, 100);
    return cohorts;
  }

  /** {@code management: {host, port}}: loopback and {@link Management#DEFAULT_PORT} if absent. */
  private static Management management(
      List<String> problems, RawManagement raw, String host, int port) {
    String managementHost =
        raw == null || raw.host() == null ? Management.DEFAULT_HOST : raw.host().strip();
    int managementPort = raw == null || raw.port() == null ? Management.DEFAULT_PORT : raw.port();
    if (managementHost.isEmpty()) {
      problems.add("management.host: expected a host name or address, got nothing");
    }
    within(problems, "management.port", managementPort, 0, 65535);
    if (managementPort != 0 && managementPort == port && managementHost.equals(host)) {
      problems.add(
          "management.port: expected another port than the public listener's, got " + port);
    }
    return new Management(managementHost, managementPort);
  }

  private static void within(List<String> problems, String key, long value, long min, long max) {
    if (value < min || value > max) {
      problems.add(key + ": expected " + min + " to " + max + ", got " + value);
    }
  }

  /** A configuration that cannot be used; the gateway refuses to start on it. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }
}
