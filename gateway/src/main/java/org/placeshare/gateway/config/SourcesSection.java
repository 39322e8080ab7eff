package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.required;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.config.GatewayConfig.Source;
import org.placeshare.gateway.config.RawConfig.RawSource;
import org.placeshare.policy.SensitiveCategory;

/** The record sources, in order of authority, and what each kind of source needs. */
final class SourcesSection {

  private SourcesSection() {}

  static List<Source> sources(List<String> problems, Path base, List<RawSource> raw) {
    List<Source> sources = new ArrayList<>();
    for (RawSource s : raw == null ? List.<RawSource>of() : raw) {
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
      Set<SensitiveCategory> holds = EnumSet.noneOf(SensitiveCategory.class);
      for (String category : s.holds() == null ? List.<String>of() : s.holds()) {
        SensitiveCategory.of(category)
            .ifPresentOrElse(
                holds::add,
                () ->
                    problems.add(
                        key
                            + ".holds: expected sensitive categories ("
                            + Arrays.stream(SensitiveCategory.values())
                                .map(SensitiveCategory::code)
                                .toList()
                            + "), got "
                            + category));
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
              Optional.ofNullable(path(base, s.privateKey())),
              holds));
    }
    return sources;
  }
}
