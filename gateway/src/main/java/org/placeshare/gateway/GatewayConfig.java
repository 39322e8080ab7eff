package org.placeshare.gateway;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
    List<Source> sources) {

  /** A party to agreements: a GP practice, trust, council or other body. */
  public record Organisation(String code, String name) {}

  /** A registered client system. */
  public record Client(String id, String organisation, Path publicKey, Set<String> purposes) {}

  /** A record source. */
  public record Source(
      String id,
      String organisation,
      String baseUrl,
      Duration deadline,
      List<String> resourceTypes) {}

  private static final int MAX_CONFIG_BYTES = 256 * 1024;

  public GatewayConfig {
    agreementSigners = List.copyOf(agreementSigners);
    organisations = List.copyOf(organisations);
    clients = List.copyOf(clients);
    sources = List.copyOf(sources);
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
      List<RawSource> sources) {}

  record RawClient(String id, String organisation, String publicKey, List<String> purposes) {}

  record RawSource(
      String id,
      String organisation,
      String baseUrl,
      Long deadlineMillis,
      List<String> resourceTypes) {}

  /** Reads and checks a configuration file. */
  public static GatewayConfig load(Path file) {
    Raw raw;
    try {
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new ConfigException(file + ": expected at most " + MAX_CONFIG_BYTES + " bytes");
      }
      raw =
          new ObjectMapper(new YAMLFactory())
              .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .readValue(file.toFile(), Raw.class);
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
    Set<String> codes = new java.util.HashSet<>();
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
      clients.add(
          new Client(
              required(problems, "clients[].id", c.id()),
              required(problems, "clients[].organisation", c.organisation()),
              path(base, required(problems, "clients[].publicKey", c.publicKey())),
              Set.copyOf(c.purposes() == null ? List.of() : c.purposes())));
    }
    List<Source> sources = new ArrayList<>();
    for (RawSource s : raw.sources() == null ? List.<RawSource>of() : raw.sources()) {
      sources.add(
          new Source(
              required(problems, "sources[].id", s.id()),
              required(problems, "sources[].organisation", s.organisation()),
              required(problems, "sources[].baseUrl", s.baseUrl()),
              Duration.ofMillis(s.deadlineMillis() == null ? 5000 : s.deadlineMillis()),
              s.resourceTypes() == null ? List.of() : s.resourceTypes()));
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
            sources);
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

  private static String required(List<String> problems, String key, String value) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": expected a value, got nothing");
    }
    return value;
  }

  private static Path path(Path base, String value) {
    return value == null ? null : base.resolve(value).normalize();
  }

  /** A configuration that cannot be used; the gateway refuses to start on it. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
      super(message);
    }
  }
}
