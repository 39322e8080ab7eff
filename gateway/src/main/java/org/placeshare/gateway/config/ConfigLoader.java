package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.required;
import static org.placeshare.gateway.config.ConfigChecks.strip;
import static org.placeshare.gateway.config.ConfigChecks.unregistered;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.config.GatewayConfig.Client;
import org.placeshare.gateway.config.GatewayConfig.ClientsFile;
import org.placeshare.gateway.config.GatewayConfig.ConfigException;
import org.placeshare.gateway.config.GatewayConfig.ConsentIssuer;
import org.placeshare.gateway.config.GatewayConfig.Organisation;
import org.placeshare.gateway.config.GatewayConfig.Source;
import org.placeshare.gateway.config.GatewayConfig.Tls;
import org.placeshare.gateway.config.RawConfig.RawClient;

/**
 * Reads the YAML file strictly: unknown keys refused, environment overrides applied, and every
 * problem of every section collected before the gateway refuses to start on them.
 */
final class ConfigLoader {

  private ConfigLoader() {}

  /** Larger is not a configuration file: refused before it is parsed. */
  static final int MAX_CONFIG_BYTES = 256 * 1024;

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
      String value =
          env.get(GatewayConfig.ENV_PREFIX + key.replaceAll("([A-Z])", "_$1").toUpperCase());
      if (value != null) {
        if (WHOLE.contains(key)) {
          try {
            tree.put(key, Long.parseLong(value.strip()));
          } catch (NumberFormatException e) {
            throw new ConfigException(GatewayConfig.ENV_PREFIX + key + ": expected a whole number");
          }
        } else {
          tree.put(key, value);
        }
      }
    }
    String managementPort = env.get(GatewayConfig.ENV_PREFIX + "MANAGEMENT_PORT");
    if (managementPort != null) {
      try {
        tree.withObjectProperty("management").put("port", Long.parseLong(managementPort.strip()));
      } catch (NumberFormatException e) {
        throw new ConfigException(
            GatewayConfig.ENV_PREFIX + "MANAGEMENT_PORT: expected a whole number");
      }
    }
    // A single machine keeps export files in its folder, a fleet in the database: per environment.
    String cohortsStore = env.get(GatewayConfig.ENV_PREFIX + "COHORTS_STORE");
    if (cohortsStore != null) {
      tree.withObjectProperty("cohorts").put("store", cohortsStore.strip());
    }
    JsonNode secretFile = tree.remove("databaseUrlFile");
    if (secretFile != null && !tree.has("databaseUrl")) {
      tree.put("databaseUrl", Files.readString(base.resolve(secretFile.asText())).strip());
    }
  }

  /** Reads and checks a configuration file, with these environment overrides. */
  static GatewayConfig load(Path file, Map<String, String> environment) {
    RawConfig raw;
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
      raw = tree == null || tree.isMissingNode() ? null : yaml.treeToValue(tree, RawConfig.class);
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
      clients.add(ClientsSection.client(problems, base, c));
    }
    ClientsFile clientsFile = new ClientsFile(file.toAbsolutePath(), true);
    if (raw.clientsFile() != null) {
      clientsFile = new ClientsFile(path(base, raw.clientsFile()), false);
      if (raw.clients() != null) {
        problems.add("clients: expected the clients inline or a clientsFile, not both");
      } else {
        try {
          clients.addAll(ClientsSection.clients(clientsFile.path(), Set.of()));
        } catch (ConfigException e) {
          problems.add("clientsFile: " + e.getMessage());
        }
      }
    }
    ClientsSection.onceEach(problems, clients);
    List<Source> sources = SourcesSection.sources(problems, base, raw.sources());
    List<ConsentIssuer> issuers =
        ConsentIssuersSection.consentIssuers(problems, base, raw.consentIssuers());
    int maxConcurrent =
        raw.maxConcurrentRequests() == null
            ? GatewayConfig.DEFAULT_MAX_CONCURRENT
            : raw.maxConcurrentRequests();
    int perMinute =
        raw.clientRequestsPerMinute() == null
            ? GatewayConfig.DEFAULT_CLIENT_REQUESTS_PER_MINUTE
            : raw.clientRequestsPerMinute();
    if (perMinute < 1 || perMinute > 1_000_000) {
      problems.add("clientRequestsPerMinute: expected 1 to 1000000, got " + perMinute);
    }
    Optional<Path> consentKey = Optional.ofNullable(path(base, raw.consentKey()));
    if (consentKey.isEmpty() && issuers.stream().anyMatch(ConsentIssuer::viaGateway)) {
      problems.add("consentKey: expected a key file when an issuer has viaGateway: true, got none");
    }
    Optional<Tls> tls = ServingSection.tls(problems, base, raw.tls());
    Optional<Path> auditNoteKey = Optional.ofNullable(path(base, raw.auditNoteKey()));
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
            CohortsSection.cohorts(problems, base, raw),
            Optional.of(clientsFile),
            ServingSection.management(problems, raw.management(), host, port),
            LinkageSection.linkage(problems, raw.linkage()),
            ReferenceIndexSection.referenceIndex(problems, base, raw.referenceIndex()),
            NotificationsSection.notifications(problems, raw.notifications()),
            auditNoteKey,
            WitnessingSection.witnessing(problems, base, raw.witnessing(), auditNoteKey));
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
}
