package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.required;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.config.GatewayConfig.ConsentIssuer;
import org.placeshare.gateway.config.RawConfig.RawConsentIssuer;

/** The consent recorders whose tokens the gateway verifies, and where their keys come from. */
final class ConsentIssuersSection {

  private ConsentIssuersSection() {}

  static List<ConsentIssuer> consentIssuers(
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
}
