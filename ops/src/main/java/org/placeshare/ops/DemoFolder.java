package org.placeshare.ops;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.fhir.synthetic.CouncilCareServer;
import org.placeshare.policy.identity.SecretFile;
import org.placeshare.policy.identity.SigningKey;

/**
 * The demo's folder: generated keys, the model agreements, the gateway configuration and the data
 * (the embedded PostgreSQL). Keys and data are kept across runs; the configuration is rewritten at
 * each start because the synthetic sources take new ports.
 */
final class DemoFolder {

  static final String DEFAULT = "placeshare-demo";
  static final List<String> AGREEMENTS =
      List.of(
          "coventry-direct-care.yaml",
          "coventry-frailty-social-care.yaml",
          "gm-connect-council-intelligence.yaml",
          "gm-connect-population-health.yaml",
          "safeguarding-partnership.yaml",
          "sunderland-intelligence.yaml",
          "tell-us-once.yaml");

  final Path root;

  DemoFolder(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  Path config() {
    return root.resolve("gateway.yaml");
  }

  Path agreements() {
    return root.resolve("agreements");
  }

  Path gatewayKey() {
    return root.resolve("keys/gateway.key.pem");
  }

  /** The key the gateway signs audit checkpoints with; its public half verifies the log. */
  Path auditKey() {
    return root.resolve("keys/audit.key.pem");
  }

  /** The audit log's Ed25519 signed-note key (auditNoteKey), Go's PRIVATE+KEY form. */
  Path auditNoteKey() {
    return root.resolve("keys/audit-note.key");
  }

  /** Its verifier key, name+hash+key: what a partner or Go's note package checks with. */
  Path auditNoteVerifierKey() {
    return root.resolve("keys/audit-note.vkey");
  }

  Path auditPublicKey() {
    return root.resolve("keys/audit.pub.pem");
  }

  /** Where the printed lines put the exported audit log (not the current folder, a clone's). */
  Path auditExport() {
    return root.resolve("audit.jsonl");
  }

  /** The council's caseload: the NHS numbers of every synthetic person, one per line. */
  Path caseload() {
    return root.resolve("caseload.txt");
  }

  /** The cohorts and subscriptions the demo made for tell us once, ended at the next start. */
  Path tellUsOnce() {
    return root.resolve("tell-us-once.json");
  }

  /** The secret that keys per-agreement pseudonyms. */
  Path pseudonymKey() {
    return root.resolve("keys/pseudonym.secret");
  }

  /** How the council's case system becomes FHIR. */
  Path councilMapping() {
    return root.resolve("mappings/council-asc.yaml");
  }

  /** How an agency's system becomes FHIR (a traced mapping, with a roster). */
  Path agencyMapping(Agency agency) {
    return root.resolve("mappings/" + agency.sourceId + ".yaml");
  }

  /** The gateway's consent key: it signs consents recorded through it. */
  Path consentKey() {
    return root.resolve("keys/consent.key.pem");
  }

  /** The demo GP practice's consent key, as its consent recording system would hold it. */
  Path issuerKey(String ods) {
    return root.resolve("keys/issuers/" + ods + ".key.pem");
  }

  /** The same key's public half as the JWKS the gateway trusts. */
  Path issuerJwks(String ods) {
    return root.resolve("keys/issuers/" + ods + ".jwks.json");
  }

  Path clientKey(String client) {
    return root.resolve("keys/clients/" + client + ".key.pem");
  }

  Path clientPublicKey(String client) {
    return root.resolve("keys/clients/" + client + ".pub.pem");
  }

  /**
   * The council BI tool's private key (a JWK, ES384), beside the other clients' keys: what it signs
   * its SMART assertions with. Kept to the owner, as a private key is.
   */
  Path systemClientPrivateJwk(String client) {
    return root.resolve("keys/clients/" + client + ".private.jwk.json");
  }

  /** Its public half as the JWKS the gateway registers ({@code jwks:}). */
  Path systemClientJwks(String client) {
    return root.resolve("keys/clients/" + client + ".jwks.json");
  }

  /** Creates what is missing: keys for the gateway and each demo client, the agreements. */
  void prepare() throws IOException {
    Files.createDirectories(root);
    if (!Files.exists(gatewayKey())) {
      SigningKey.generate().writePem(gatewayKey(), root.resolve("keys/gateway.pub.pem"));
    }
    if (!Files.exists(auditKey())) {
      SigningKey.generate().writePem(auditKey(), auditPublicKey());
    }
    if (!Files.exists(consentKey())) {
      SigningKey.generate().writePem(consentKey(), root.resolve("keys/consent.pub.pem"));
    }
    if (!Files.exists(pseudonymKey())) {
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      SecretFile.write(pseudonymKey(), Base64URL.encode(secret) + "\n");
    }
    if (!Files.exists(issuerKey(Demo.GP))) {
      SigningKey issuer = SigningKey.generate();
      issuer.writePem(issuerKey(Demo.GP), root.resolve("keys/issuers/" + Demo.GP + ".pub.pem"));
      Files.writeString(issuerJwks(Demo.GP), new JWKSet(issuer.publicJwk()).toString(false));
    }
    for (DemoClient client : DemoClient.values()) {
      if (!Files.exists(clientKey(client.id))) {
        SigningKey.generate().writePem(clientKey(client.id), clientPublicKey(client.id));
      }
    }
    if (!Files.exists(systemClientPrivateJwk(Demo.BI_CLIENT))) {
      ECKey bi;
      try {
        bi =
            new ECKeyGenerator(Curve.P_384)
                .keyID(Demo.BI_CLIENT + "-1")
                .algorithm(JWSAlgorithm.ES384)
                .generate();
      } catch (JOSEException e) {
        throw new IllegalStateException("an EC P-384 key could not be made", e);
      }
      SecretFile.write(systemClientPrivateJwk(Demo.BI_CLIENT), bi.toJSONString() + "\n");
      Files.writeString(
          systemClientJwks(Demo.BI_CLIENT), new JWKSet(bi.toPublicJWK()).toString(false) + "\n");
    }
    if (!Files.exists(councilMapping())) {
      Files.createDirectories(councilMapping().getParent());
      try (InputStream in = CouncilCareServer.mapping()) {
        Files.copy(in, councilMapping());
      }
    }
    for (Agency agency : Agency.values()) {
      if (!Files.exists(agencyMapping(agency))) {
        try (InputStream in = agency.mapping()) {
          Files.copy(in, agencyMapping(agency));
        }
      }
    }
    Files.createDirectories(agreements());
    for (String name : AGREEMENTS) {
      Path target = agreements().resolve(name);
      if (!Files.exists(target)) {
        try (InputStream in = DemoFolder.class.getResourceAsStream("/agreements/" + name)) {
          Files.copy(in, target);
        }
      }
    }
  }
}
