package org.placeshare.gateway.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * The right edge of a Merkle tree: the roots of its complete subtrees, largest first (one per set
 * bit of its size). Enough to append leaves and to compute the root, without the leaves.
 */
final class Frontier {

  private final List<byte[]> hashes;
  private long size;

  Frontier(long size, List<byte[]> hashes) {
    if (Long.bitCount(size) != hashes.size()) {
      throw new IllegalStateException(
          "a frontier of size " + size + " needs " + Long.bitCount(size) + " hashes");
    }
    this.size = size;
    this.hashes = new ArrayList<>(hashes);
  }

  static Frontier empty() {
    return new Frontier(0, List.of());
  }

  void append(byte[] leafHash) {
    append(leafHash, (height, index, hash) -> {});
  }

  /** Every complete subtree an append finishes: the leaf itself and each merge it causes. */
  @FunctionalInterface
  interface NodeSink {
    void completed(int height, long index, byte[] hash);
  }

  /** Appends a leaf, telling the sink of each node it completes, lowest first. */
  void append(byte[] leafHash, NodeSink sink) {
    long leaf = size;
    byte[] h = leafHash;
    sink.completed(0, leaf, h);
    int height = 0;
    for (long s = size; (s & 1) == 1; s >>>= 1) {
      h = Merkle.nodeHash(hashes.remove(hashes.size() - 1), h);
      height++;
      // The node ends at this leaf, so it is the (leaf >> height)th node of its height.
      sink.completed(height, leaf >>> height, h);
    }
    hashes.add(h);
    size++;
  }

  long size() {
    return size;
  }

  List<byte[]> hashes() {
    return List.copyOf(hashes);
  }

  byte[] root() {
    if (hashes.isEmpty()) {
      return Merkle.emptyRoot();
    }
    byte[] root = hashes.get(hashes.size() - 1);
    for (int i = hashes.size() - 2; i >= 0; i--) {
      root = Merkle.nodeHash(hashes.get(i), root);
    }
    return root;
  }
}
