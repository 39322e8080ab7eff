package org.placeshare.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two kinds of client registration and the three forms of keys, checked strictly. */
class ClientRegistrationConfigTest {

  @TempDir Path dir;

  private Path write(String clients) throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(
        file,
        "host: 127.0.0.1\nport: 0\ndataDir: data\nsigningKey: keys/gateway.key.pem\n"
            + "agreements: agreements\n"
            + "organisations:\n  - {code: E08000026, name: Coventry City Council}\n"
            + clients);
    return file;
  }

  private void jwks(String name, String json) throws Exception {
    Files.writeString(dir.resolve(name), json);
  }

  private static ECKey es384(String kid) throws Exception {
    return new ECKeyGenerator(Curve.P_384).keyID(kid).algorithm(JWSAlgorithm.ES384).generate();
  }

  @Test
  void load_systemClientWithJwks_isReadWithItsKind() throws Exception {
    jwks("bi.jwks.json", new JWKSet(es384("bi-1").toPublicJWK()).toString());

    GatewayConfig config =
        GatewayConfig.load(
            write(
                """
                clients:
                  - {id: council-bi, organisation: E08000026, kind: system, roles: [analyst], purposes: [HOPERAT], jwks: bi.jwks.json}
                """));

    GatewayConfig.Client bi = config.clients().get(0);
    assertThat(bi.kind()).isEqualTo("system");
    assertThat(bi.jwks()).contains(dir.resolve("bi.jwks.json"));
    assertThat(bi.publicKey()).isNull();
  }

  @Test
  void load_jwksWithAPrivateKey_isRefusedNamingTheKeysLine() throws Exception {
    jwks(
        "bi.jwks.json",
        "{\"keys\": [\n"
            + new JWKSet(es384("ok-1").toPublicJWK()).getKeys().get(0).toJSONString()
            + ",\n"
            + es384("leak-1").toJSONString()
            + "\n]}");
    Path file =
        write(
            """
            clients:
              - {id: council-bi, organisation: E08000026, kind: system, roles: [analyst], purposes: [HOPERAT], jwks: bi.jwks.json}
            """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "clients[council-bi].jwks: "
                + dir.resolve("bi.jwks.json")
                + ": line 3: keys[1] (leak-1): a private key; register only the public key");
  }

  @Test
  void load_jwksKeysWithoutKidOrAlgOrTooSmall_areEachRefused() throws Exception {
    RSAKey small =
        new RSAKeyGenerator(1024, true).keyID("small").algorithm(JWSAlgorithm.RS384).generate();
    ECKey noAlg = new ECKeyGenerator(Curve.P_384).keyID("no-alg").generate();
    ECKey wrongCurve =
        new ECKeyGenerator(Curve.P_256).keyID("p256").algorithm(JWSAlgorithm.ES384).generate();
    ECKey noKid = new ECKeyGenerator(Curve.P_384).algorithm(JWSAlgorithm.ES384).generate();
    jwks(
        "bad.jwks.json",
        new JWKSet(
                java.util.List.of(
                    small.toPublicJWK(),
                    noAlg.toPublicJWK(),
                    wrongCurve.toPublicJWK(),
                    noKid.toPublicJWK()))
            .toString());
    Path file =
        write(
            """
            clients:
              - {id: c, organisation: E08000026, roles: [analyst], purposes: [HOPERAT], jwks: bad.jwks.json}
            """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .hasMessageContaining("keys[0] (small): an RSA key of 1024 bits; expected at least 2048")
        .hasMessageContaining("keys[1] (no-alg): expected an alg")
        .hasMessageContaining("keys[2] (p256): an EC key on P-256 cannot verify ES384")
        .hasMessageContaining("keys[3]: expected a kid");
  }

  @Test
  void load_jwksOfMoreThanTenKeys_isRefused() throws Exception {
    java.util.List<com.nimbusds.jose.jwk.JWK> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 11; i++) {
      keys.add(es384("k" + i).toPublicJWK());
    }
    jwks("many.jwks.json", new JWKSet(keys).toString());
    Path file =
        write(
            """
            clients:
              - {id: c, organisation: E08000026, roles: [analyst], purposes: [HOPERAT], jwks: many.jwks.json}
            """);

    assertThatThrownBy(() -> GatewayConfig.load(file)).hasMessageContaining("at most 10 keys");
  }

  @Test
  void load_systemClientWithTwoRolesOrTwoKeyForms_isRefused() throws Exception {
    Path twoRoles =
        write(
            """
            clients:
              - {id: bi, organisation: E08000026, kind: system, roles: [analyst, clinician], purposes: [HOPERAT], publicKey: k.pem}
            """);
    assertThatThrownBy(() -> GatewayConfig.load(twoRoles))
        .hasMessageContaining(
            "clients[bi]: a system client acts for no user, so its registration fixes exactly one"
                + " role and one purpose of use; got 2 roles and 1 purposes");

    Path twoForms =
        write(
            """
            clients:
              - {id: bi, organisation: E08000026, roles: [analyst], purposes: [HOPERAT], publicKey: k.pem, jwksUrl: "https://bi.example/jwks"}
            """);
    assertThatThrownBy(() -> GatewayConfig.load(twoForms))
        .hasMessageContaining("clients[bi]: expected exactly one of publicKey");

    Path plainHttp =
        write(
            """
            clients:
              - {id: bi, organisation: E08000026, roles: [analyst], purposes: [HOPERAT], jwksUrl: "http://bi.example/jwks"}
            """);
    assertThatThrownBy(() -> GatewayConfig.load(plainHttp))
        .hasMessageContaining("clients[bi].jwksUrl: expected an https URL");

    Path unknownKind =
        write(
            """
            clients:
              - {id: bi, organisation: E08000026, kind: robot, roles: [analyst], purposes: [HOPERAT], publicKey: k.pem}
            """);
    assertThatThrownBy(() -> GatewayConfig.load(unknownKind))
        .hasMessageContaining("clients[bi].kind: expected user or system, got robot");
  }
}
