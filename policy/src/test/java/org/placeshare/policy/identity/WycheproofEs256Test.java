package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The Wycheproof ECDSA P-256/SHA-256 vectors in IEEE P1363 form (the form JWS ES256 uses), run
 * through the verifier every ES256 key of ours is checked with. Invalid signatures, test 11 (r = s
 * = 0, CVE-2022-21449) among them, must fail; valid ones must pass.
 */
class WycheproofEs256Test {

  /**
   * Valid signatures whose k*G has an x-coordinate of n or more, which the JDK's EC provider
   * refuses. Refusing is safe, and an honest signer meets it with probability about 2^-128; pinned
   * here so a JDK that starts accepting them is noticed.
   */
  private static final Set<Integer> REFUSED_BY_THE_JDK = Set.of(115, 257);

  private static final String VECTORS = "/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json";

  @TestFactory
  List<DynamicTest> everyVector_verifiesAsWycheproofSays() throws Exception {
    JsonNode root;
    try (InputStream in = WycheproofEs256Test.class.getResourceAsStream(VECTORS)) {
      root = new ObjectMapper().readTree(in);
    }
    JWSHeader header = new JWSHeader(JWSAlgorithm.ES256);
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode group : root.get("testGroups")) {
      JsonNode point = group.get("publicKey");
      ECKey key =
          new ECKey.Builder(
                  Curve.P_256,
                  coordinate(point.get("wx").asText()),
                  coordinate(point.get("wy").asText()))
              .build();
      ECDSAVerifier verifier = new ECDSAVerifier(key);
      for (JsonNode test : group.get("tests")) {
        String result = test.get("result").asText();
        if (result.equals("acceptable")) {
          continue; // either answer is allowed; nothing to hold the verifier to
        }
        int id = test.get("tcId").asInt();
        boolean expected = result.equals("valid") && !REFUSED_BY_THE_JDK.contains(id);
        byte[] message = HexFormat.of().parseHex(test.get("msg").asText());
        byte[] signature = HexFormat.of().parseHex(test.get("sig").asText());
        tests.add(
            DynamicTest.dynamicTest(
                "tc " + id + " " + test.get("comment").asText(),
                () ->
                    assertThat(verifies(verifier, header, message, signature))
                        .isEqualTo(expected)));
      }
    }
    assertThat(tests).hasSizeGreaterThan(200);
    return tests;
  }

  /** A coordinate as the 32 bytes JWK wants: Wycheproof writes them as signed big-endian hex. */
  private static Base64URL coordinate(String hex) {
    byte[] value = new BigInteger(hex, 16).toByteArray();
    byte[] fixed = new byte[32];
    int n = Math.min(value.length, 32);
    System.arraycopy(value, value.length - n, fixed, 32 - n, n);
    return Base64URL.encode(fixed);
  }

  private static boolean verifies(
      ECDSAVerifier verifier, JWSHeader header, byte[] message, byte[] signature) {
    try {
      return verifier.verify(header, message, Base64URL.encode(signature));
    } catch (JOSEException e) {
      return false;
    }
  }
}
