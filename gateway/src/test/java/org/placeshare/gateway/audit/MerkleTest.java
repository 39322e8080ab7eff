package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * RFC 6962/9162 hashing and proofs, checked against the public vectors of transparency-dev/merkle
 * (happy paths and every mutation: flipped bits, wrong sizes, garbage before and after) and against
 * the proofs this class makes for every leaf and size of small trees.
 */
class MerkleTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static byte[] b64(JsonNode node) {
    return node == null || node.isNull() ? null : Base64.getDecoder().decode(node.asText());
  }

  private static List<byte[]> proof(JsonNode node) {
    List<byte[]> proof = new ArrayList<>();
    node.forEach(h -> proof.add(b64(h)));
    return proof;
  }

  private static Stream<Path> vectors(String kind) throws Exception {
    Path root = Path.of(MerkleTest.class.getResource("/merkle/" + kind).toURI());
    return Files.walk(root).filter(p -> p.toString().endsWith(".json")).sorted();
  }

  @TestFactory
  Stream<DynamicTest> inclusionVectors() throws Exception {
    return vectors("inclusion")
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getParent().getFileName() + "/" + file.getFileName(),
                    () -> {
                      JsonNode v = JSON.readTree(file.toFile());
                      var check =
                          assertThatCode(
                              () ->
                                  Merkle.verifyInclusion(
                                      v.get("leafIdx").asLong(),
                                      v.get("treeSize").asLong(),
                                      b64(v.get("leafHash")),
                                      proof(v.get("proof")),
                                      b64(v.get("root"))));
                      if (v.get("wantErr").asBoolean()) {
                        check.isInstanceOf(Merkle.ProofException.class);
                      } else {
                        check.doesNotThrowAnyException();
                      }
                    }));
  }

  @TestFactory
  Stream<DynamicTest> consistencyVectors() throws Exception {
    return vectors("consistency")
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getParent().getFileName() + "/" + file.getFileName(),
                    () -> {
                      JsonNode v = JSON.readTree(file.toFile());
                      var check =
                          assertThatCode(
                              () ->
                                  Merkle.verifyConsistency(
                                      v.get("size1").asLong(),
                                      v.get("size2").asLong(),
                                      proof(v.get("proof")),
                                      b64(v.get("root1")),
                                      b64(v.get("root2"))));
                      if (v.get("wantErr").asBoolean()) {
                        check.isInstanceOf(Merkle.ProofException.class);
                      } else {
                        check.doesNotThrowAnyException();
                      }
                    }));
  }

  @Test
  void proofsMadeHere_verify_forEveryLeafAndSizeUpTo40() throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    for (int n = 1; n <= 40; n++) {
      leaves.add(Merkle.leafHash(("event " + n).getBytes(StandardCharsets.UTF_8)));
      byte[] root = Merkle.root(leaves);
      for (int i = 0; i < n; i++) {
        Merkle.verifyInclusion(i, n, leaves.get(i), Merkle.inclusionProof(i, leaves), root);
      }
      for (int m = 1; m <= n; m++) {
        Merkle.verifyConsistency(
            m, n, Merkle.consistencyProof(m, leaves), Merkle.root(leaves.subList(0, m)), root);
      }
    }
  }

  @Test
  void aChangedLeaf_failsItsProof() throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    for (int n = 0; n < 9; n++) {
      leaves.add(Merkle.leafHash(new byte[] {(byte) n}));
    }
    byte[] root = Merkle.root(leaves);
    List<byte[]> proof = Merkle.inclusionProof(4, leaves);

    assertThatThrownBy(
            () -> Merkle.verifyInclusion(4, 9, Merkle.leafHash(new byte[] {99}), proof, root))
        .isInstanceOf(Merkle.ProofException.class);
    assertThat(Merkle.root(List.of())).isEqualTo(Merkle.emptyRoot());
  }
}
