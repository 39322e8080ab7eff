package org.placeshare.gateway.http.audit;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Tiles;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * The audit log as C2SP tlog-tiles, so a partner computes proofs itself: hash tiles at {@code GET
 * /audit/tile/<L>/<N>[.p/<W>]} for any authenticated party (they hold hashes, as proofs do), and
 * entry bundles at {@code GET /audit/tile/entries/<N>[.p/<W>]} for IG leads only (each entry is an
 * event as hashed: NHS number, caller, decisions). A tile never changes once served: a full tile is
 * complete, and a partial tile of width W is the first W hashes of what the full tile will be. A
 * bundle holding an event redacted under retention is gone (410): its data no longer hashes to its
 * leaf.
 */
public final class AuditTileEndpoints {

  static final String PREFIX = "/audit/tile/";

  /** A year, the longest cache lifetime HTTP caches honour; tiles never change. */
  static final String IMMUTABLE = "private, max-age=31536000, immutable";

  private final AuditTree tree;

  public AuditTileEndpoints(AuditTree tree) {
    this.tree = tree;
  }

  /** Hash tiles; entry bundles pass on to the IG-lead routes. */
  public void tile(RoutingContext ctx) {
    Optional<Tiles.Path> path = path(ctx);
    if (path.isPresent() && path.get().level() == Tiles.ENTRIES) {
      ctx.next();
      return;
    }
    if (path.isEmpty()) {
      notFound(ctx);
      return;
    }
    Tiles.Path p = path.get();
    send(ctx, tree.tile(p.level(), p.index(), p.width()));
  }

  public void entries(RoutingContext ctx) {
    Optional<Tiles.Path> path = path(ctx).filter(p -> p.level() == Tiles.ENTRIES);
    if (path.isEmpty()) {
      notFound(ctx);
      return;
    }
    send(ctx, tree.entries(path.get().index(), path.get().width()));
  }

  private static Optional<Tiles.Path> path(RoutingContext ctx) {
    String full = ctx.request().path();
    return full.startsWith(PREFIX)
        ? Tiles.parse(full.substring(PREFIX.length()))
        : Optional.empty();
  }

  private static void send(RoutingContext ctx, Future<Optional<byte[]>> tile) {
    tile.onFailure(
            e -> {
              if (e instanceof AuditTree.Redacted) {
                ctx.fail(410, new GatewayException(IssueType.DELETED, e.getMessage()));
              } else {
                ctx.fail(503, new AuditUnavailable(e));
              }
            })
        .onSuccess(
            bytes -> {
              if (bytes.isEmpty()) {
                notFound(ctx);
                return;
              }
              ctx.response()
                  .putHeader("Content-Type", "application/octet-stream")
                  .putHeader("Cache-Control", IMMUTABLE)
                  .end(Buffer.buffer(bytes.get()));
            });
  }

  private static void notFound(RoutingContext ctx) {
    ctx.fail(
        404,
        new GatewayException(
            IssueType.NOTFOUND,
            "no such tile: tile paths are tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>],"
                + " N as x001/x234/067, of a tree that holds them"));
  }
}
