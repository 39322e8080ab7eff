package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Proofs made from tiles, as the gateway stores them batch by batch, are byte for byte the proofs
 * of the full recompute over every leaf ({@link Merkle}), on random sizes across tile levels 0 to
 * 2; and on the RFC 6962 reference tree they are the happy-path proofs of transparency-dev/merkle's
 * vectors.
 */
class TileProofsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Tiles as AuditTiles writes them: each run replaces the tile from its offset on. */
  private static Map<Tiles.Id, byte[]> store(List<byte[]> leaves, Random random) {
    Map<Tiles.Id, byte[]> tiles = new HashMap<>();
    Frontier frontier = Frontier.empty();
    int i = 0;
    while (i < leaves.size()) {
      int batch = Math.min(leaves.size() - i, 1 + random.nextInt(AuditLog.MAX_BATCH));
      Tiles.Appends appends = new Tiles.Appends();
      for (int j = 0; j < batch; j++) {
        frontier.append(leaves.get(i++), appends);
      }
      for (Tiles.Appends.Run run : appends.runs()) {
        byte[] old = tiles.getOrDefault(run.tile(), new byte[0]);
        ByteArrayOutputStream merged = new ByteArrayOutputStream();
        merged.write(old, 0, run.offset() * Merkle.HASH_BYTES);
        merged.writeBytes(run.hashes());
        assertThat(merged.size()).isLessThanOrEqualTo(Tiles.WIDTH * Merkle.HASH_BYTES);
        tiles.put(run.tile(), merged.toByteArray());
      }
    }
    return tiles;
  }

  private static List<byte[]> leaves(int n, Random random) {
    List<byte[]> leaves = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] data = new byte[16];
      random.nextBytes(data);
      leaves.add(Merkle.leafHash(data));
    }
    return leaves;
  }

  @Test
  void tileProofs_equalTheFullRecompute_onRandomSizes() {
    Random random = new Random(21);
    List<byte[]> all = leaves(70_000, random);
    Map<Tiles.Id, byte[]> tiles = store(all, random);
    Tiles.Stored stored = new Tiles.Stored(tiles);
    assertThat(tiles).containsKey(new Tiles.Id(2, 0));
    List<Integer> sizes = new ArrayList<>(List.of(1, 2, 255, 256, 257, 65_535, 65_536, 65_537));
    for (int k = 0; k < 40; k++) {
      sizes.add(1 + random.nextInt(all.size()));
    }
    for (int size : sizes) {
      List<byte[]> leaves = all.subList(0, size);
      byte[] root = Merkle.root(leaves);
      assertThat(MerkleNodes.root(stored, size)).isEqualTo(root);
      for (int m : List.of(0, size - 1, random.nextInt(size))) {
        List<byte[]> proof = MerkleNodes.inclusionProof(stored, m, size);
        assertThat(proof).containsExactlyElementsOf(Merkle.inclusionProof(m, leaves));
        assertThat(stored.node(0, m)).isEqualTo(leaves.get(m));
      }
      for (int m : List.of(1, size, 1 + random.nextInt(size))) {
        assertThat(MerkleNodes.consistencyProof(stored, m, size))
            .containsExactlyElementsOf(Merkle.consistencyProof(m, leaves));
      }
    }
  }

  @Test
  void aProofAtAnySize_readsAtMostTwoTilesPerLevel() {
    // Sizes as large as a long allows: the plan alone, no hashes needed.
    for (long size : List.of(100_000L, 1_000_000L, 10_000_000L, 1L << 40, Long.MAX_VALUE / 3)) {
      MerkleNodes.Planner plan = new MerkleNodes.Planner();
      MerkleNodes.inclusionProof(plan, size / 3, size);
      MerkleNodes.root(plan, size);
      int levels = (63 - Long.numberOfLeadingZeros(size)) / Tiles.HEIGHT + 1;
      assertThat(plan.tiles()).hasSizeLessThanOrEqualTo(3 * levels);
      MerkleNodes.Planner consistency = new MerkleNodes.Planner();
      MerkleNodes.consistencyProof(consistency, size / 2 + 1, size);
      MerkleNodes.root(consistency, size / 2 + 1);
      MerkleNodes.root(consistency, size);
      assertThat(consistency.tiles()).hasSizeLessThanOrEqualTo(4 * levels);
    }
  }

  /** The RFC 6962 reference tree, whose proofs the transparency-dev vectors hold. */
  private static final List<String> REFERENCE_LEAVES =
      List.of(
          "",
          "00",
          "10",
          "2021",
          "3031",
          "40414243",
          "5051525354555657",
          "606162636465666768696a6b6c6d6e6f");

  private static JsonNode vector(String path) throws Exception {
    return JSON.readTree(
        Path.of(TileProofsTest.class.getResource("/merkle/" + path).toURI()).toFile());
  }

  private static List<String> b64(List<byte[]> proof) {
    return proof.stream().map(h -> Base64.getEncoder().encodeToString(h)).toList();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void tileProofs_ofTheReferenceTree_areTheVectorsHappyPaths() throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    REFERENCE_LEAVES.forEach(h -> leaves.add(Merkle.leafHash(HexFormat.of().parseHex(h))));
    Tiles.Stored stored = new Tiles.Stored(store(leaves, new Random(1)));
    int checked = 0;
    for (String dir : List.of("1", "2", "3", "4")) {
      JsonNode v = vector("inclusion/" + dir + "/happy-path.json");
      long index = v.get("leafIdx").asLong();
      long size = v.get("treeSize").asLong();
      assertThat(b64(MerkleNodes.inclusionProof(stored, index, size)))
          .containsExactlyElementsOf(strings(v.get("proof")));
      assertThat(Base64.getEncoder().encodeToString(MerkleNodes.root(stored, size)))
          .isEqualTo(v.get("root").asText());
      assertThat(Base64.getEncoder().encodeToString(stored.node(0, index)))
          .isEqualTo(v.get("leafHash").asText());
      checked++;
    }
    for (String dir : List.of("1", "2", "3", "4")) {
      JsonNode v = vector("consistency/" + dir + "/happy-path.json");
      long size1 = v.get("size1").asLong();
      long size2 = v.get("size2").asLong();
      if (size2 > leaves.size()) {
        continue;
      }
      assertThat(b64(MerkleNodes.consistencyProof(stored, size1, size2)))
          .containsExactlyElementsOf(strings(v.get("proof")));
      assertThat(Base64.getEncoder().encodeToString(MerkleNodes.root(stored, size1)))
          .isEqualTo(v.get("root1").asText());
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(6);
  }

  @Test
  void tilePaths_areSpelledAsC2spSpellsThem_andNothingElseIsRead() {
    assertThat(Tiles.spell(0)).isEqualTo("000");
    assertThat(Tiles.spell(67)).isEqualTo("067");
    assertThat(Tiles.spell(1_234_067)).isEqualTo("x001/x234/067");
    assertThat(Tiles.parse("0/x001/x234/067")).contains(new Tiles.Path(0, 1_234_067, Tiles.WIDTH));
    assertThat(Tiles.parse("2/067.p/5")).contains(new Tiles.Path(2, 67, 5));
    assertThat(Tiles.parse("entries/x001/000.p/255"))
        .contains(new Tiles.Path(Tiles.ENTRIES, 1000, 255));
    assertThat(Tiles.parse("0/x001/x234/067").orElseThrow().spelled()).isEqualTo("0/x001/x234/067");
    for (String bad :
        List.of(
            "0/x000/067",
            "0/67",
            "0/1234067",
            "0/067.p/256",
            "0/067.p/0",
            "0/067.p/007",
            "8/000",
            "01/000",
            "0/x001/x002/x003/x004/x005/x006/007",
            "0/067/",
            "entries/x1/067",
            "-1/000")) {
      assertThat(Tiles.parse(bad)).as(bad).isEmpty();
    }
  }
}
