package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.required;
import static org.placeshare.gateway.config.ConfigChecks.unregistered;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.placeshare.gateway.config.GatewayConfig.Client;
import org.placeshare.gateway.config.GatewayConfig.ClientsFile;
import org.placeshare.gateway.config.GatewayConfig.ConfigException;
import org.placeshare.gateway.config.RawConfig.RawClient;
import org.placeshare.gateway.config.RawConfig.RawClientsFile;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.RegisteredClient;

/**
 * The client registry: inline in the configuration, or in a clients file reloaded while running.
 */
final class ClientsSection {

  private ClientsSection() {}

  /** One client registration, inline in the configuration or in a clients file. */
  static Client client(List<String> problems, Path base, RawClient c) {
    String key = "clients[" + c.id() + "]";
    int keyForms =
        (c.publicKey() == null ? 0 : 1)
            + (c.jwks() == null ? 0 : 1)
            + (c.jwksUrl() == null ? 0 : 1);
    if (keyForms != 1) {
      problems.add(
          key
              + ": expected exactly one of publicKey (a PEM file), jwks (a JWK Set file) or"
              + " jwksUrl (https), got "
              + keyForms);
    }
    Optional<Path> jwks = Optional.ofNullable(path(base, c.jwks()));
    jwks.ifPresent(
        file -> {
          try {
            ClientKeySets.read(file);
          } catch (PolicyException e) {
            problems.add(key + ".jwks: " + e.getMessage());
          }
        });
    String kind = c.kind() == null ? Client.USER : c.kind();
    Set<String> roles = roles(problems, c);
    Set<String> purposes = Set.copyOf(c.purposes() == null ? List.of() : c.purposes());
    if (!kind.equals(Client.USER) && !kind.equals(Client.SYSTEM)) {
      problems.add(key + ".kind: expected user or system, got " + c.kind());
    } else if (kind.equals(Client.SYSTEM) && (roles.size() != 1 || purposes.size() != 1)) {
      problems.add(
          key
              + ": a system client acts for no user, so its registration fixes exactly one role"
              + " and one purpose of use; got "
              + roles.size()
              + " roles and "
              + purposes.size()
              + " purposes");
    }
    return new Client(
        required(problems, "clients[].id", c.id()),
        required(problems, "clients[].organisation", c.organisation()),
        path(base, c.publicKey()),
        purposes,
        roles,
        status(problems, c),
        notificationHosts(problems, c),
        jwks,
        jwksUrl(problems, key, c.jwksUrl()),
        kind);
  }

  /**
   * Where a client publishes its key set: https, or http on loopback only (a test's or the demo's
   * own server), as for consent issuers.
   */
  private static Optional<URI> jwksUrl(List<String> problems, String key, String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      URI u = new URI(value);
      boolean loopback =
          "http".equals(u.getScheme())
              && ("127.0.0.1".equals(u.getHost()) || "localhost".equals(u.getHost()));
      if ((!"https".equals(u.getScheme()) && !loopback)
          || u.getHost() == null
          || u.getUserInfo() != null
          || u.getFragment() != null) {
        problems.add(key + ".jwksUrl: expected an https URL, got " + value);
        return Optional.empty();
      }
      return Optional.of(u);
    } catch (URISyntaxException e) {
      problems.add(key + ".jwksUrl: expected an https URL, got " + value);
      return Optional.empty();
    }
  }

  /** A client may name no more hosts for its notification endpoints than this. */
  static final int MAX_NOTIFICATION_HOSTS = 20;

  /** A lower-case DNS name or IPv4 address: no scheme, port, path, user or wildcard. */
  private static final Pattern HOST_FORM =
      Pattern.compile(
          "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  /**
   * The hosts a client's subscriptions may deliver to (issue 19). Optional: without them the client
   * cannot subscribe. Strict, since a host here is one the gateway will send requests to.
   */
  private static Set<String> notificationHosts(List<String> problems, RawClient c) {
    String key = "clients[" + c.id() + "].notificationHosts";
    if (c.notificationHosts() == null) {
      return Set.of();
    }
    if (c.notificationHosts().size() > MAX_NOTIFICATION_HOSTS) {
      problems.add(
          key
              + ": expected at most "
              + MAX_NOTIFICATION_HOSTS
              + " hosts, got "
              + c.notificationHosts().size());
      return Set.of();
    }
    Set<String> hosts = new LinkedHashSet<>();
    for (String host : c.notificationHosts()) {
      if (host == null || !HOST_FORM.matcher(host).matches()) {
        problems.add(
            key
                + ": expected lower-case host names such as receiver.council.example (no scheme,"
                + " port or path), got "
                + host);
      } else if (!hosts.add(host)) {
        problems.add(key + ": expected each host once, got " + host + " again");
      }
    }
    return Set.copyOf(hosts);
  }

  private static String status(List<String> problems, RawClient c) {
    String status = c.status() == null ? Client.ACTIVE : c.status();
    if (!status.equals(Client.ACTIVE) && !status.equals(Client.SUSPENDED)) {
      problems.add(
          "clients[" + c.id() + "].status: expected active or suspended, got " + c.status());
    }
    return status;
  }

  static void onceEach(List<String> problems, List<Client> clients) {
    Set<String> ids = new HashSet<>();
    for (Client c : clients) {
      if (c.id() != null && !ids.add(c.id())) {
        problems.add("clients[]: expected each id once, got " + c.id() + " again");
      }
    }
  }

  /** Reads the client registry again; see {@link GatewayConfig#reloadClients}. */
  static List<Client> reload(ClientsFile source, Set<String> organisations) {
    if (!source.configuration()) {
      return clients(source.path(), organisations);
    }
    List<Client> clients = GatewayConfig.load(source.path()).clients();
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
      if (Files.size(file) > ConfigLoader.MAX_CONFIG_BYTES) {
        throw new ConfigException(
            file + ": expected at most " + ConfigLoader.MAX_CONFIG_BYTES + " bytes");
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
}
