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
    byte[] h = leafHash;
    for (long s = size; (s & 1) == 1; s >>>= 1) {
      h = Merkle.nodeHash(hashes.remove(hashes.size() - 1), h);
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
