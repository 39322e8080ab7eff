package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Wycheproof ECDSA P-256/SHA-256 vectors in IEEE P1363 form (the form JWS ES256 uses), run
 * through the verifier every ES256 signature of a token is checked with ({@link JwsVerifiers},
 * BouncyCastle's provider), and through the JDK's SunEC, which checked them until issue 22, so a
 * difference between the two is seen here. Invalid signatures, test 11 (r = s = 0, CVE-2022-21449)
 * among them, must fail in both; valid ones must pass.
 */
class WycheproofEs256Test {

  /**
   * Valid signatures whose k*G has an x-coordinate of n or more, which the JDK's EC provider
   * refuses and BouncyCastle's accepts, as Wycheproof says it should. Refusing is safe, and an
   * honest signer meets it with probability about 2^-128; pinned here so a JDK that starts
   * accepting them is noticed.
   */
  private static final Set<Integer> REFUSED_BY_THE_JDK = Set.of(115, 257);

  private static final String VECTORS = "/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json";

  private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.ES256);

  @Test
  void theGatewaysVerifier_checksEcdsaInBouncyCastle() throws Exception {
    assertThat(JwsVerifiers.ecdsaProviderName()).isEqualTo("BC");
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    assertThat(
            JwsVerifiers.INSTANCE
                .createJWSVerifier(HEADER, key.toECPublicKey())
                .getJCAContext()
                .getProvider()
                .getName())
        .isEqualTo("BC");
  }

  @TestFactory
  List<DynamicTest> everyVector_inTheGatewaysVerifier_verifiesAsWycheproofSays() throws Exception {
    return vectors(
        key -> JwsVerifiers.INSTANCE.createJWSVerifier(HEADER, key.toECPublicKey()), Set.of());
  }

  @TestFactory
  List<DynamicTest> everyVector_inTheJdksProvider_verifiesAsWycheproofSays() throws Exception {
    return vectors(ECDSAVerifier::new, REFUSED_BY_THE_JDK);
  }

  /**
   * The other signature of the same message, (r, n - s), is valid ECDSA: SunEC accepted it before
   * and BouncyCastle accepts it now, so a token re-encoded this way meets the same answer as before
   * (its claims are the signer's; only a new cache entry is made for it).
   */
  @Test
  void highSTwinOfAGenuineSignature_isAcceptedAsBefore() throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).generate();
    byte[] message = "placeshare".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] signature = new ECDSASigner(key).sign(HEADER, message).decode();
    BigInteger n = Curve.P_256.toECParameterSpec().getOrder();
    BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64));
    byte[] twin = signature.clone();
    System.arraycopy(fixed(n.subtract(s).toByteArray()), 0, twin, 32, 32);
    assertThat(twin).isNotEqualTo(signature);
    JWSVerifier gateway = JwsVerifiers.INSTANCE.createJWSVerifier(HEADER, key.toECPublicKey());
    JWSVerifier jdk = new ECDSAVerifier(key);
    assertThat(verifies(gateway, message, signature)).isTrue();
    assertThat(verifies(gateway, message, twin)).isEqualTo(verifies(jdk, message, twin)).isTrue();
  }

  private interface Verifiers {
    JWSVerifier of(ECKey key) throws JOSEException;
  }

  private static List<DynamicTest> vectors(Verifiers verifiers, Set<Integer> refused)
      throws Exception {
    JsonNode root;
    try (InputStream in = WycheproofEs256Test.class.getResourceAsStream(VECTORS)) {
      root = new ObjectMapper().readTree(in);
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      JsonNode point = group.get("publicKey");
      ECKey key =
          new ECKey.Builder(
                  Curve.P_256,
                  coordinate(point.get("wx").asText()),
                  coordinate(point.get("wy").asText()))
              .build();
      JWSVerifier verifier = verifiers.of(key);
      for (JsonNode test : group.get("tests")) {
        String result = test.get("result").asText();
        if (result.equals("acceptable")) {
          continue; // either answer is allowed; nothing to hold the verifier to
        }
        int id = test.get("tcId").asInt();
        boolean expected = result.equals("valid") && !refused.contains(id);
        byte[] message = HexFormat.of().parseHex(test.get("msg").asText());
        byte[] signature = HexFormat.of().parseHex(test.get("sig").asText());
        tests.add(
            DynamicTest.dynamicTest(
                "tc " + id + " " + test.get("comment").asText(),
                () -> assertThat(verifies(verifier, message, signature)).isEqualTo(expected)));
      }
    }
    assertThat(tests).hasSizeGreaterThan(200);
    return tests;
  }

  /** A coordinate as the 32 bytes JWK wants: Wycheproof writes them as signed big-endian hex. */
  private static Base64URL coordinate(String hex) {
    return Base64URL.encode(fixed(new BigInteger(hex, 16).toByteArray()));
  }

  /** A signed big-endian integer as exactly 32 unsigned bytes. */
  private static byte[] fixed(byte[] value) {
    byte[] fixed = new byte[32];
    int n = Math.min(value.length, 32);
    System.arraycopy(value, value.length - n, fixed, 32 - n, n);
    return fixed;
  }

  private static boolean verifies(JWSVerifier verifier, byte[] message, byte[] signature) {
    try {
      return verifier.verify(HEADER, message, Base64URL.encode(signature));
    } catch (JOSEException e) {
      return false;
    }
  }
}
