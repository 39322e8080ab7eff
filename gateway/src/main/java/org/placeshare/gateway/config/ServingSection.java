package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.required;
import static org.placeshare.gateway.config.ConfigChecks.within;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.config.GatewayConfig.Management;
import org.placeshare.gateway.config.GatewayConfig.Tls;
import org.placeshare.gateway.config.RawConfig.RawManagement;
import org.placeshare.gateway.config.RawConfig.RawTls;

/** How the gateway is served: TLS on the public listener, and the management listener. */
final class ServingSection {

  private ServingSection() {}

  static Optional<Tls> tls(List<String> problems, Path base, RawTls raw) {
    Optional<Tls> tls = Optional.empty();
    if (raw != null) {
      tls =
          Optional.of(
              new Tls(
                  path(base, required(problems, "tls.certificate", raw.certificate())),
                  path(base, required(problems, "tls.privateKey", raw.privateKey())),
                  Optional.ofNullable(path(base, raw.clientCa())),
                  Optional.ofNullable(path(base, raw.clientCrl()))));
      if (raw.clientCrl() != null && raw.clientCa() == null) {
        problems.add("tls.clientCrl: expected a clientCa whose revocation list it is, got none");
      }
    }
    return tls;
  }

  /** {@code management: {host, port}}: loopback and {@link Management#DEFAULT_PORT} if absent. */
  static Management management(List<String> problems, RawManagement raw, String host, int port) {
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
}
