package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tiles of the audit tree in PostgreSQL ({@code audit_tile}). They are written by the append
 * batch that completes their nodes, in its transaction and under its tree lock, so the tiles always
 * cover exactly the committed tree: a crash loses no tile that a committed leaf needs.
 */
final class AuditTiles {

  /**
   * Positional: the run replaces whatever the tile held from its offset on, so a rebuild or a
   * repeated write leaves the same bytes.
   */
  private static final String WRITE =
      "INSERT INTO audit_tile (level, idx, hashes) VALUES ($1, $2, $4)"
          + " ON CONFLICT (level, idx) DO UPDATE"
          + " SET hashes = substring(audit_tile.hashes FROM 1 FOR $3) || excluded.hashes";

  /**
   * The tree row and the batch's tiles in one statement (one round trip, as before tiles): a run at
   * offset 0 starts its tile, any other run continues a stored tile from that offset. Returns how
   * many tiles were continued, so a run whose tile is missing fails the batch instead of vanishing.
   */
  private static final String WRITE_WITH_TREE =
      "WITH r AS (SELECT * FROM unnest($3::smallint[], $4::bigint[], $5::int[], $6::bytea[])"
          + " AS r(level, idx, off, hashes)),"
          + " continued AS (UPDATE audit_tile t"
          + " SET hashes = substring(t.hashes FROM 1 FOR r.off) || r.hashes FROM r"
          + " WHERE t.level = r.level AND t.idx = r.idx AND r.off > 0 RETURNING t.idx),"
          + " started AS (INSERT INTO audit_tile (level, idx, hashes)"
          + " SELECT level, idx, hashes FROM r WHERE r.off = 0"
          + " ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes)"
          + " UPDATE audit_tree SET size = $1, frontier = $2"
          + " RETURNING (SELECT count(*) FROM continued) AS continued";

  /** Stores the tree's new size and right edge with the tiles the batch filled. */
  static Future<Void> writeWithTree(
      SqlConnection conn, Tiles.Appends appends, long size, Buffer[] edge) {
    List<Tiles.Appends.Run> runs = appends.runs();
    Short[] levels = new Short[runs.size()];
    Long[] indices = new Long[runs.size()];
    Integer[] offsets = new Integer[runs.size()];
    Buffer[] hashes = new Buffer[runs.size()];
    long continuing = 0;
    for (int i = 0; i < runs.size(); i++) {
      Tiles.Appends.Run run = runs.get(i);
      levels[i] = (short) run.tile().level();
      indices[i] = run.tile().index();
      offsets[i] = run.offset() * Merkle.HASH_BYTES;
      hashes[i] = Buffer.buffer(run.hashes());
      continuing += run.offset() > 0 ? 1 : 0;
    }
    long expected = continuing;
    return conn.preparedQuery(WRITE_WITH_TREE)
        .execute(
            Tuple.tuple()
                .addLong(size)
                .addArrayOfBuffer(edge)
                .addArrayOfShort(levels)
                .addArrayOfLong(indices)
                .addArrayOfInteger(offsets)
                .addArrayOfBuffer(hashes))
        .compose(
            rows -> {
              long continued = rows.iterator().next().getLong("continued");
              return continued == expected
                  ? Future.succeededFuture()
                  : Future.failedFuture(
                      new IllegalStateException(
                          "the audit tiles do not match the tree: "
                              + (expected - continued)
                              + " tile(s) to continue are missing"));
            });
  }

  private static final String READ =
      "SELECT (SELECT size FROM audit_tree) AS size, t.level, t.idx, t.hashes"
          + " FROM unnest($1::int[], $2::bigint[]) AS w(level, idx)"
          + " LEFT JOIN audit_tile t ON t.level = w.level AND t.idx = w.idx";

  private AuditTiles() {}

  static Future<Void> write(SqlConnection conn, Tiles.Appends appends) {
    if (appends.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> rows = new ArrayList<>();
    for (Tiles.Appends.Run run : appends.runs()) {
      rows.add(
          Tuple.of(
              (short) run.tile().level(),
              run.tile().index(),
              run.offset() * Merkle.HASH_BYTES,
              Buffer.buffer(run.hashes())));
    }
    return conn.preparedQuery(WRITE).executeBatch(rows).mapEmpty();
  }

  /** The tree's size and these tiles (those stored), read in one statement. */
  record Read(long size, Map<Tiles.Id, byte[]> tiles) {}

  static Future<Read> read(SqlClient client, Set<Tiles.Id> wanted) {
    Integer[] levels = new Integer[wanted.size()];
    Long[] indices = new Long[wanted.size()];
    int i = 0;
    for (Tiles.Id id : wanted) {
      levels[i] = id.level();
      indices[i++] = id.index();
    }
    Tuple args = Tuple.tuple().addArrayOfInteger(levels).addArrayOfLong(indices);
    String sql = wanted.isEmpty() ? "SELECT size FROM audit_tree" : READ;
    return client
        .preparedQuery(sql)
        .execute(wanted.isEmpty() ? Tuple.tuple() : args)
        .map(
            rows -> {
              long size = 0;
              Map<Tiles.Id, byte[]> tiles = new HashMap<>();
              for (Row row : rows) {
                size = row.getLong("size");
                if (!wanted.isEmpty() && row.getValue("hashes") != null) {
                  tiles.put(
                      new Tiles.Id(row.getShort("level"), row.getLong("idx")),
                      row.getBuffer("hashes").getBytes());
                }
              }
              return new Read(size, tiles);
            });
  }

  /**
   * Writes the tiles of a log whose leaves were committed before tiles were stored (an older
   * gateway): if the level-0 tiles do not cover the tree exactly, they are all rebuilt from the
   * leaf hashes. Called under the tree lock; a no-op once the tiles cover the tree.
   */
  static Future<Void> catchUp(SqlConnection conn, long treeSize) {
    return conn.query(
            "SELECT coalesce(sum(length(hashes)), 0) / "
                + Merkle.HASH_BYTES
                + " AS tiled"
                + " FROM audit_tile WHERE level = 0")
        .execute()
        .compose(
            rows -> {
              if (rows.iterator().next().getLong("tiled") == treeSize) {
                return Future.succeededFuture();
              }
              return conn.query("DELETE FROM audit_tile")
                  .execute()
                  .compose(
                      x ->
                          conn.preparedQuery(
                                  "SELECT leaf_hash FROM audit_event"
                                      + " WHERE leaf_index < $1 ORDER BY leaf_index")
                              .execute(Tuple.of(treeSize)))
                  .compose(
                      leaves -> {
                        Frontier frontier = Frontier.empty();
                        Tiles.Appends appends = new Tiles.Appends();
                        for (Row leaf : leaves) {
                          frontier.append(leaf.getBuffer("leaf_hash").getBytes(), appends);
                        }
                        if (frontier.size() != treeSize) {
                          return Future.failedFuture(
                              new IllegalStateException(
                                  "the tree has "
                                      + treeSize
                                      + " leaves, the log "
                                      + frontier.size()));
                        }
                        return write(conn, appends);
                      });
            });
  }
}
