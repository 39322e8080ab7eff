package org.placeshare.gateway.audit;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit tree cut into C2SP tlog-tiles: a tile at level {@code L} holds up to 256 consecutive
 * hashes of the tree's nodes of height {@code 8L}; tile {@code N} holds nodes {@code 256N} to
 * {@code 256N + 255}. Level 0 tiles are the leaf hashes. Any complete subtree's hash is one tile's
 * slice (at most 128 entries hashed together), so a proof needs one tile per level it touches.
 */
public final class Tiles {

  /** Tile height in tree levels, and so the width of a full tile: fixed by tlog-tiles. */
  public static final int HEIGHT = 8;

  public static final int WIDTH = 1 << HEIGHT;

  /** Tile levels that exist at all: 256^8 is beyond any long tree size. */
  public static final int MAX_LEVEL = 63 / HEIGHT;

  /** Groups of three digits in a tile index in a path: 10^18 fits a long. */
  static final int MAX_INDEX_GROUPS = 6;

  private Tiles() {}

  /** A tile by level and index; level {@link #ENTRIES} names an entry bundle. */
  public record Id(int level, long index) {}

  public static final int ENTRIES = -1;

  /** A tile as a path asks for it: full ({@code width == 256}) or partial. */
  public record Path(int level, long index, int width) {

    /** The path after {@code tile/}, as C2SP spells it: {@code 0/x001/x234/067.p/5}. */
    public String spelled() {
      return (level == ENTRIES ? "entries" : Integer.toString(level))
          + "/"
          + spell(index)
          + (width == WIDTH ? "" : ".p/" + width);
    }
  }

  private static final Pattern PATH =
      Pattern.compile(
          "(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/){0,"
              + (MAX_INDEX_GROUPS - 1)
              + "}[0-9]{3})(?:\\.p/([1-9][0-9]{0,2}))?");

  /**
   * Reads the part of a tile path after {@code tile/}; empty if it is not a canonical tlog-tiles
   * path (a level beyond {@link #MAX_LEVEL}, a width of 256 or more, an index with needless groups
   * of zeros).
   */
  public static Optional<Path> parse(String tail) {
    Matcher m = PATH.matcher(tail);
    if (!m.matches()) {
      return Optional.empty();
    }
    int level = m.group(1).equals("entries") ? ENTRIES : Integer.parseInt(m.group(1));
    long index = Long.parseLong(m.group(2).replace("x", "").replace("/", ""));
    int width = m.group(3) == null ? WIDTH : Integer.parseInt(m.group(3));
    if (level > MAX_LEVEL || (m.group(3) != null && width >= WIDTH)) {
      return Optional.empty();
    }
    if (!spell(index).equals(m.group(2))) {
      return Optional.empty();
    }
    return Optional.of(new Path(level, index, width));
  }

  /** A tile index as tlog-tiles spells it: 1234067 is {@code x001/x234/067}. */
  public static String spell(long n) {
    StringBuilder out = new StringBuilder(String.format("%03d", n % 1000));
    for (n /= 1000; n > 0; n /= 1000) {
      out.insert(0, String.format("x%03d/", n % 1000));
    }
    return out.toString();
  }

  /** The tile that holds the node of this height and index. */
  static Id tileOf(int height, long index) {
    int level = height / HEIGHT;
    long first = index << (height % HEIGHT);
    return new Id(level, first >>> HEIGHT);
  }

  /**
   * The hashes an append batch adds to tiles: each completed node whose height is a multiple of 8
   * is the next entry of its tile. Offsets say where each run starts, so a write is positional.
   */
  static final class Appends implements Frontier.NodeSink {

    record Run(Id tile, int offset, byte[] hashes) {}

    private final Map<Id, ByteArrayOutputStream> runs = new LinkedHashMap<>();
    private final Map<Id, Integer> offsets = new LinkedHashMap<>();

    @Override
    public void completed(int height, long index, byte[] hash) {
      if (height % HEIGHT != 0) {
        return;
      }
      Id tile = new Id(height / HEIGHT, index >>> HEIGHT);
      offsets.putIfAbsent(tile, (int) (index & (WIDTH - 1)));
      runs.computeIfAbsent(tile, t -> new ByteArrayOutputStream()).writeBytes(hash);
    }

    List<Run> runs() {
      List<Run> out = new ArrayList<>();
      runs.forEach((tile, bytes) -> out.add(new Run(tile, offsets.get(tile), bytes.toByteArray())));
      return out;
    }

    boolean isEmpty() {
      return runs.isEmpty();
    }
  }

  /** Tiles read from the database, as nodes of the tree. */
  static final class Stored implements MerkleNodes.Nodes {

    private final Map<Id, byte[]> tiles;

    Stored(Map<Id, byte[]> tiles) {
      this.tiles = tiles;
    }

    @Override
    public byte[] node(int height, long index) {
      Id id = tileOf(height, index);
      int count = 1 << (height % HEIGHT);
      int offset = (int) ((index << (height % HEIGHT)) & (WIDTH - 1));
      byte[] tile = tiles.get(id);
      if (tile == null || tile.length < (offset + count) * Merkle.HASH_BYTES) {
        throw new IllegalStateException(
            "tile " + id + " does not hold node " + height + "/" + index);
      }
      List<byte[]> row = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        int at = (offset + i) * Merkle.HASH_BYTES;
        row.add(Arrays.copyOfRange(tile, at, at + Merkle.HASH_BYTES));
      }
      // A power of two of hashes, so RFC 6962's split is pairwise: the subtree's root.
      return Merkle.root(row);
    }
  }
}
