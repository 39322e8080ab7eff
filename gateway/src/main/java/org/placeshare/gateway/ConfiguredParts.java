package org.placeshare.gateway;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.placeshare.fhir.FhirRestSource;
import org.placeshare.fhir.Pseudonyms;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.index.FhirReferenceIndex;
import org.placeshare.fhir.linkage.LinkLookup;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.fhir.mapped.MappedSource;
import org.placeshare.fhir.mapped.TracedSource;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.config.ClientKeySets;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.mapping.MappingStore;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.gateway.trust.ClientJwks;
import org.placeshare.gateway.trust.ClientStore;
import org.placeshare.gateway.trust.CrlStore;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientKeys;
import org.placeshare.policy.identity.JwsVerifiers;
import org.placeshare.policy.identity.RegisteredClient;
import org.placeshare.policy.identity.SigningKey;

/**
 * What start-up reads from files before anything connects: agreements, keys, the client registry,
 * the revocation list, the sources and the public listener's TLS. A bad file fails start-up here,
 * with nothing yet to close.
 */
record ConfiguredParts(
    PolicyStore policy,
    SigningKey signingKey,
    Optional<SigningKey> consentKey,
    Optional<Pseudonyms> pseudonyms,
    SigningKey auditKey,
    Optional<NoteSigner> auditNoteKey,
    ClientStore clients,
    Optional<CrlStore> crl,
    List<RecordSource> sources,
    MappingStore mappings,
    PendingLinks links,
    HttpServerOptions serverOptions,
    Optional<ReferenceIndex> referenceIndex) {

  /** Reads each part in turn; the first that cannot be read throws. */
  static ConfiguredParts read(Vertx vertx, GatewayConfig config, Clock clock) {
    PolicyStore policy = PolicyStore.load(config.agreements(), policyOptions(config), clock);
    SigningKey signingKey = SigningKey.readPrivatePem(config.signingKey());
    Optional<SigningKey> consentKey = config.consentKey().map(SigningKey::readPrivatePem);
    SigningKey auditKey = config.auditKey().map(SigningKey::readPrivatePem).orElse(signingKey);
    Optional<NoteSigner> auditNoteKey =
        config.auditNoteKey().map(f -> noteKey(f, config.auditNoteOrigin()));
    Optional<Pseudonyms> pseudonyms =
        config.pseudonymKey().map(f -> new Pseudonyms(Base64URL.from(secret(f)).decode()));
    ClientJwks clientJwks = new ClientJwks(vertx, config.issuerTrustCa(), clock);
    ClientStore clients =
        ClientStore.load(config, registered -> clients(registered, clientJwks), clock);
    Optional<CrlStore> crl =
        config
            .tls()
            .flatMap(
                t -> t.clientCrl().map(f -> CrlStore.load(f, t.clientCa().orElseThrow(), clock)));
    HttpServerOptions serverOptions = Listeners.publicOptions(config);
    MappingStore mappings = MappingStore.load(mappingFiles(config), clock);
    PendingLinks links = new PendingLinks();
    List<RecordSource> sources = sources(vertx, config, mappings, links);
    Optional<ReferenceIndex> referenceIndex = config.referenceIndex().map(i -> index(vertx, i));
    return new ConfiguredParts(
        policy,
        signingKey,
        consentKey,
        pseudonyms,
        auditKey,
        auditNoteKey,
        clients,
        crl,
        sources,
        mappings,
        links,
        serverOptions,
        referenceIndex);
  }

  /** The reference index's client, with the same kinds of credentials a source may have. */
  private static ReferenceIndex index(Vertx vertx, GatewayConfig.ReferenceIndexConfig c) {
    SourceAccess access =
        new SourceAccess(
            c.bearerTokenFile().map(ConfiguredParts::secret),
            c.trustCa(),
            c.certificate(),
            c.privateKey());
    return new FhirReferenceIndex(vertx, c.baseUrl(), c.deadline(), access);
  }

  private static PolicyFolder.Options policyOptions(GatewayConfig config) {
    Set<OdsCode> registered =
        config.organisations().stream().map(o -> OdsCode.of(o.code())).collect(Collectors.toSet());
    List<ECKey> signers =
        config.agreementSigners().stream().map(SigningKey::readPublicPem).toList();
    return new PolicyFolder.Options(
        Optional.of(registered),
        signers,
        config.agreementSignaturesRequired(),
        JwsVerifiers.factory());
  }

  private static Map<String, RegisteredClient> clients(
      List<GatewayConfig.Client> registered, ClientJwks remote) {
    Map<String, RegisteredClient> clients = new HashMap<>();
    for (GatewayConfig.Client c : registered) {
      Set<PurposeOfUse> purposes =
          c.purposes().stream().map(PurposeOfUse::of).collect(Collectors.toSet());
      // One of the three forms, as the configuration checked: a PEM, a JWKS file, a JWKS URL.
      ClientKeys keys =
          c.jwks().isPresent()
              ? ClientKeySets.read(c.jwks().get())
              : c.jwksUrl().isPresent()
                  ? ClientKeys.remote(
                      c.jwksUrl().get(),
                      remote.keysAt(c.jwksUrl().get()),
                      remote.refetch(c.jwksUrl().get()))
                  : ClientKeys.pem(SigningKey.readPublicPem(c.publicKey()));
      clients.put(
          c.id(),
          new RegisteredClient(
              c.id(),
              OdsCode.of(c.organisation()),
              keys,
              purposes,
              c.roles(),
              RegisteredClient.Status.of(c.status()).orElseThrow(),
              c.notificationHosts(),
              RegisteredClient.Kind.of(c.kind()).orElseThrow()));
    }
    return clients;
  }

  private static Map<String, Path> mappingFiles(GatewayConfig config) {
    Map<String, Path> files = new LinkedHashMap<>();
    for (GatewayConfig.Source s : config.sources()) {
      if (s.kind().equals(GatewayConfig.Source.MAPPED)) {
        files.put(s.id(), s.mapping().orElseThrow());
      }
    }
    return files;
  }

  /**
   * The sources in order of authority. A mapped source whose mapping has a roster holds no NHS
   * number: it is a {@link TracedSource}, whose records a view reaches through {@code links}.
   */
  private static List<RecordSource> sources(
      Vertx vertx, GatewayConfig config, MappingStore mappings, LinkLookup links) {
    List<RecordSource> sources = new ArrayList<>();
    for (GatewayConfig.Source s : config.sources()) {
      SourceDescriptor descriptor =
          new SourceDescriptor(
              s.id(),
              OdsCode.of(s.organisation()),
              URI.create(s.baseUrl()),
              s.deadline(),
              s.resourceTypes(),
              s.holds());
      SourceAccess access =
          new SourceAccess(
              s.bearerTokenFile().map(ConfiguredParts::secret),
              s.trustCa(),
              s.certificate(),
              s.privateKey());
      if (!s.kind().equals(GatewayConfig.Source.MAPPED)) {
        sources.add(new FhirRestSource(vertx, descriptor, access));
      } else if (mappings.mapping(s.id()).get().traced()) {
        sources.add(new TracedSource(vertx, descriptor, mappings.mapping(s.id()), access, links));
      } else {
        sources.add(new MappedSource(vertx, descriptor, mappings.mapping(s.id()), access));
      }
    }
    return sources;
  }

  /**
   * The note key, named for this log's origin: a key named otherwise would sign checkpoints whose
   * origin line no verifier of this log expects.
   */
  private static NoteSigner noteKey(Path file, String origin) {
    NoteSigner key;
    try {
      key = NoteSigner.parse(secret(file));
    } catch (IllegalArgumentException e) {
      throw new PolicyException(file + ": " + e.getMessage(), e);
    }
    if (key.verifierKey().type() != NoteVerifierKey.Type.ED25519) {
      // A witness's cosigning key would start the gateway and then sign no checkpoint at all.
      throw new PolicyException(
          file
              + ": this is a witness's cosigning key (type 0x04), not a log's note key: make one"
              + " with placeshare keygen note");
    }
    if (!key.name().equals(origin)) {
      throw new PolicyException(
          file
              + ": the note key is named "
              + key.name()
              + ", expected the log's origin "
              + origin
              + " (placeshare keygen note --out keys --origin "
              + origin
              + ")");
    }
    return key;
  }

  /** A secret read from its own file: one line, never logged. */
  private static String secret(Path file) {
    try {
      String value = Files.readString(file).strip();
      if (value.isEmpty() || value.length() > 8192) {
        throw new PolicyException(file + ": expected one token of at most 8192 characters");
      }
      return value;
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }
}
