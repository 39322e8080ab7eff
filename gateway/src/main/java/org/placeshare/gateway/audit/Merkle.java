package org.placeshare.gateway.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Merkle tree of RFC 6962 / RFC 9162 over the audit log: leaf hash {@code SHA-256(0x00 ||
 * data)}, node hash {@code SHA-256(0x01 || left || right)}. Tree heads, inclusion proofs and
 * consistency proofs are made from the leaf hashes; verification follows RFC 9162 section 2.1.3.2
 * and 2.1.4.2 as transparency-dev/merkle implements them, and is tested against its vectors.
 */
public final class Merkle {

  public static final int HASH_BYTES = 32;

  private Merkle() {}

  /** A proof does not verify; the message says how. */
  public static final class ProofException extends Exception {
    private static final long serialVersionUID = 1L;

    ProofException(String message) {
      super(message);
    }
  }

  public static byte[] leafHash(byte[] data) {
    MessageDigest sha = sha256();
    sha.update((byte) 0x00);
    return sha.digest(data);
  }

  public static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest sha = sha256();
    sha.update((byte) 0x01);
    sha.update(left);
    return sha.digest(right);
  }

  /** The hash of the empty tree: SHA-256 of nothing. */
  public static byte[] emptyRoot() {
    return sha256().digest();
  }

  /** MTH(D[n]) over the leaf hashes {@code leaves[from, to)}. */
  public static byte[] root(List<byte[]> leaves) {
    return leaves.isEmpty() ? emptyRoot() : root(leaves, 0, leaves.size());
  }

  private static byte[] root(List<byte[]> leaves, int from, int to) {
    int n = to - from;
    if (n == 1) {
      return leaves.get(from);
    }
    int k = largestPowerOfTwoBelow(n);
    return nodeHash(root(leaves, from, from + k), root(leaves, from + k, to));
  }

  /** PATH(m, D[n]): the inclusion proof of leaf {@code index} in the tree of these leaves. */
  public static List<byte[]> inclusionProof(int index, List<byte[]> leaves) {
    if (index < 0 || index >= leaves.size()) {
      throw new IllegalArgumentException(
          "index " + index + " is not in a tree of " + leaves.size());
    }
    List<byte[]> proof = new ArrayList<>();
    path(index, leaves, 0, leaves.size(), proof);
    return proof;
  }

  private static void path(int m, List<byte[]> leaves, int from, int to, List<byte[]> proof) {
    int n = to - from;
    if (n == 1) {
      return;
    }
    int k = largestPowerOfTwoBelow(n);
    if (m < k) {
      path(m, leaves, from, from + k, proof);
      proof.add(root(leaves, from + k, to));
    } else {
      path(m - k, leaves, from + k, to, proof);
      proof.add(root(leaves, from, from + k));
    }
  }

  /** PROOF(m, D[n]): the consistency proof from the first {@code m} leaves to all of them. */
  public static List<byte[]> consistencyProof(int m, List<byte[]> leaves) {
    if (m < 0 || m > leaves.size()) {
      throw new IllegalArgumentException("size " + m + " is not within " + leaves.size());
    }
    List<byte[]> proof = new ArrayList<>();
    if (m == 0 || m == leaves.size()) {
      return proof;
    }
    subproof(m, leaves, 0, leaves.size(), true, proof);
    return proof;
  }

  private static void subproof(
      int m, List<byte[]> leaves, int from, int to, boolean complete, List<byte[]> proof) {
    int n = to - from;
    if (m == n) {
      if (!complete) {
        proof.add(root(leaves, from, to));
      }
      return;
    }
    int k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, leaves, from, from + k, complete, proof);
      proof.add(root(leaves, from + k, to));
    } else {
      subproof(m - k, leaves, from + k, to, false, proof);
      proof.add(root(leaves, from, from + k));
    }
  }

  /** Checks that a leaf is at {@code index} in the tree of {@code size} with this root. */
  public static void verifyInclusion(
      long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
      throws ProofException {
    if (index < 0 || index >= size) {
      throw new ProofException("index " + index + " is beyond a tree of size " + size);
    }
    checkHash(leafHash, "leaf hash");
    int inner = innerProofSize(index, size);
    int border = Long.bitCount(index >>> inner);
    if (proof.size() != inner + border) {
      throw new ProofException(
          "expected a proof of " + (inner + border) + " hashes, got " + proof.size());
    }
    byte[] calculated = chainInner(leafHash, proof.subList(0, inner), index);
    calculated = chainBorderRight(calculated, proof.subList(inner, proof.size()));
    match(calculated, root);
  }

  /** Checks that the tree of {@code size2} with {@code root2} extends that of {@code size1}. */
  public static void verifyConsistency(
      long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2)
      throws ProofException {
    if (size2 < size1) {
      throw new ProofException("size2 " + size2 + " is smaller than size1 " + size1);
    }
    if (size1 == 0) {
      throw new ProofException("consistency with the empty tree proves nothing");
    }
    if (size1 == size2) {
      if (!proof.isEmpty()) {
        throw new ProofException("sizes are equal but the proof is not empty");
      }
      match(root1, root2);
      return;
    }
    if (proof.isEmpty()) {
      throw new ProofException("the proof is empty");
    }
    int inner = innerProofSize(size1 - 1, size2);
    int border = Long.bitCount((size1 - 1) >>> inner);
    int shift = Long.numberOfTrailingZeros(size1);
    inner -= shift;
    byte[] seed = proof.get(0);
    int start = 1;
    if (size1 == 1L << shift) {
      seed = root1;
      start = 0;
    }
    if (proof.size() != start + inner + border) {
      throw new ProofException(
          "expected a proof of " + (start + inner + border) + " hashes, got " + proof.size());
    }
    for (byte[] h : proof) {
      checkHash(h, "proof hash");
    }
    List<byte[]> rest = proof.subList(start, proof.size());
    long mask = (size1 - 1) >>> shift;
    byte[] hash1 = chainInnerRight(seed, rest.subList(0, inner), mask);
    hash1 = chainBorderRight(hash1, rest.subList(inner, rest.size()));
    match(hash1, root1);
    byte[] hash2 = chainInner(seed, rest.subList(0, inner), mask);
    hash2 = chainBorderRight(hash2, rest.subList(inner, rest.size()));
    match(hash2, root2);
  }

  private static int innerProofSize(long index, long size) {
    return 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
  }

  private static byte[] chainInner(byte[] seed, List<byte[]> proof, long index) {
    for (int i = 0; i < proof.size(); i++) {
      seed = ((index >>> i) & 1) == 0 ? nodeHash(seed, proof.get(i)) : nodeHash(proof.get(i), seed);
    }
    return seed;
  }

  private static byte[] chainInnerRight(byte[] seed, List<byte[]> proof, long index) {
    for (int i = 0; i < proof.size(); i++) {
      if (((index >>> i) & 1) == 1) {
        seed = nodeHash(proof.get(i), seed);
      }
    }
    return seed;
  }

  private static byte[] chainBorderRight(byte[] seed, List<byte[]> proof) {
    for (byte[] h : proof) {
      seed = nodeHash(h, seed);
    }
    return seed;
  }

  private static void match(byte[] calculated, byte[] expected) throws ProofException {
    if (expected == null || !MessageDigest.isEqual(calculated, expected)) {
      throw new ProofException("the calculated root does not match the expected root");
    }
  }

  private static void checkHash(byte[] hash, String what) throws ProofException {
    if (hash == null || hash.length != HASH_BYTES) {
      throw new ProofException(what + " must be " + HASH_BYTES + " bytes");
    }
  }

  private static int largestPowerOfTwoBelow(int n) {
    return Integer.highestOneBit(n - 1);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** For messages and tests: are two hashes the same. */
  static boolean same(byte[] a, byte[] b) {
    return Arrays.equals(a, b);
  }
}
