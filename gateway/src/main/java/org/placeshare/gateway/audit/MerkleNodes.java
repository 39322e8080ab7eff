package org.placeshare.gateway.audit;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * RFC 9162 tree heads and proofs (section 2.1) made from the hashes of complete subtrees rather
 * than from every leaf: MTH of any range the RFC's recursion visits splits into O(log n) complete
 * subtrees, each read from wherever the nodes are stored (tiles). Proofs are made twice: once with
 * {@link Planner} to learn which nodes (and so which tiles) are needed, then with the stored tiles.
 */
public final class MerkleNodes {

  private MerkleNodes() {}

  /**
   * The hash of the complete subtree of {@code 2^height} leaves starting at {@code index <<
   * height}.
   */
  public interface Nodes {
    byte[] node(int height, long index);
  }

  /** Records the nodes asked for, answering with zeros: the shape of a proof, not its hashes. */
  static final class Planner implements Nodes {
    private final Set<Tiles.Id> tiles = new LinkedHashSet<>();

    @Override
    public byte[] node(int height, long index) {
      tiles.add(Tiles.tileOf(height, index));
      return new byte[Merkle.HASH_BYTES];
    }

    Set<Tiles.Id> tiles() {
      return tiles;
    }
  }

  /** MTH(D[0:size]). */
  public static byte[] root(Nodes nodes, long size) {
    return size == 0 ? Merkle.emptyRoot() : range(nodes, 0, size);
  }

  /** MTH of the leaves {@code [from, to)}, split as RFC 9162 splits it. */
  static byte[] range(Nodes nodes, long from, long to) {
    long n = to - from;
    if (Long.bitCount(n) == 1 && from % n == 0) {
      return nodes.node(Long.numberOfTrailingZeros(n), from / n);
    }
    long k = Long.highestOneBit(n - 1);
    return Merkle.nodeHash(range(nodes, from, from + k), range(nodes, from + k, to));
  }

  /** PATH(m, D[0:size]). */
  public static List<byte[]> inclusionProof(Nodes nodes, long m, long size) {
    if (m < 0 || m >= size) {
      throw new IllegalArgumentException("index " + m + " is not in a tree of " + size);
    }
    List<byte[]> proof = new ArrayList<>();
    path(nodes, m, 0, size, proof);
    return proof;
  }

  private static void path(Nodes nodes, long m, long from, long to, List<byte[]> proof) {
    long n = to - from;
    if (n == 1) {
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m < k) {
      path(nodes, m, from, from + k, proof);
      proof.add(range(nodes, from + k, to));
    } else {
      path(nodes, m - k, from + k, to, proof);
      proof.add(range(nodes, from, from + k));
    }
  }

  /** PROOF(m, D[0:size]). */
  public static List<byte[]> consistencyProof(Nodes nodes, long m, long size) {
    if (m < 0 || m > size) {
      throw new IllegalArgumentException("size " + m + " is not within " + size);
    }
    List<byte[]> proof = new ArrayList<>();
    if (m == 0 || m == size) {
      return proof;
    }
    subproof(nodes, m, 0, size, true, proof);
    return proof;
  }

  private static void subproof(
      Nodes nodes, long m, long from, long to, boolean complete, List<byte[]> proof) {
    long n = to - from;
    if (m == n) {
      if (!complete) {
        proof.add(range(nodes, from, to));
      }
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m <= k) {
      subproof(nodes, m, from, from + k, complete, proof);
      proof.add(range(nodes, from + k, to));
    } else {
      subproof(nodes, m - k, from + k, to, false, proof);
      proof.add(range(nodes, from, from + k));
    }
  }
}
