package org.placeshare.gateway.http.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.StrictJson;

/**
 * The audit log's proofs, for any authenticated party (they hold hashes, never events): {@code GET
 * /audit/checkpoint} (a C2SP signed note), {@code GET /audit/checkpoint.json} (the JWS form),
 * {@code GET /audit/proof/inclusion?index=&size=} and {@code GET
 * /audit/proof/consistency?from=&to=}.
 */
public final class AuditProofEndpoints {

  private final AuditTree tree;
  private final Optional<Witnessing> witnessing;

  /**
   * @param witnessing when configured, the checkpoint served is the newest witnessed one with its
   *     witnesses' cosignatures
   */
  public AuditProofEndpoints(AuditTree tree, Optional<Witnessing> witnessing) {
    this.tree = tree;
    this.witnessing = witnessing;
  }

  /**
   * {@code GET /audit/checkpoint}: the latest checkpoint as a C2SP tlog-checkpoint signed note,
   * {@code text/plain}, checked with the log's note verifier key by any transparency-log tool. With
   * witnessing, the newest witnessed checkpoint (or, before any is, the newest) with the witnesses'
   * cosignature lines after the log's signature: still a note the log's key alone opens.
   */
  public void checkpointNote(RoutingContext ctx) {
    witnessing
        .map(Witnessing::servedNote)
        .orElseGet(tree::latestNote)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            note -> {
              if (note.isEmpty()) {
                ctx.fail(
                    404,
                    new GatewayException(
                        IssueType.NOTFOUND,
                        "no checkpoint is signed as a note yet (the gateway signs notes when"
                            + " auditNoteKey is configured)"));
                return;
              }
              ctx.response()
                  .setStatusCode(200)
                  .putHeader("Content-Type", "text/plain; charset=utf-8")
                  .putHeader("Cache-Control", "no-cache")
                  .end(note.get());
            });
  }

  /** {@code GET /audit/checkpoint.json}: the latest checkpoint with its JWS (ES256). */
  public void checkpoint(RoutingContext ctx) {
    tree.latest()
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            signed -> {
              if (signed.isEmpty()) {
                ctx.fail(
                    404, new GatewayException(IssueType.NOTFOUND, "no checkpoint is signed yet"));
                return;
              }
              // The gateway signed it; partners check the signature with the published key.
              Checkpoint c = Checkpoint.readUnverified(signed.get());
              StrictJson.json(
                  ctx,
                  200,
                  new JsonObject()
                      .put("origin", c.origin())
                      .put("size", c.size())
                      .put("root", c.rootBase64())
                      .put("time", c.time().toString())
                      .put("signed", c.signed()));
            });
  }

  public void inclusion(RoutingContext ctx) {
    long index;
    long size;
    try {
      index = number(ctx, "index");
      size = number(ctx, "size");
      if (index >= size) {
        throw StrictJson.invalid("index: expected less than size");
      }
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    tree.inclusion(index, size)
        .onFailure(e -> ctx.fail(400, StrictJson.invalid("size: " + e.getMessage())))
        .onSuccess(
            p ->
                StrictJson.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("index", index)
                        .put("size", size)
                        .put("leafHash", b64(p.leafHash()))
                        .put("root", b64(p.root()))
                        .put("proof", hashes(p.proof()))));
  }

  public void consistency(RoutingContext ctx) {
    long from;
    long to;
    try {
      from = number(ctx, "from");
      to = number(ctx, "to");
      if (from < 1 || from > to) {
        throw StrictJson.invalid("from: expected 1 to the value of to");
      }
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    tree.consistency(from, to)
        .onFailure(e -> ctx.fail(400, StrictJson.invalid("to: " + e.getMessage())))
        .onSuccess(
            p ->
                StrictJson.json(
                    ctx,
                    200,
                    new JsonObject()
                        .put("from", from)
                        .put("to", to)
                        .put("fromRoot", b64(p.fromRoot()))
                        .put("toRoot", b64(p.toRoot()))
                        .put("proof", hashes(p.proof()))));
  }

  private static long number(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    try {
      long n = Long.parseLong(value == null ? "" : value);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw StrictJson.invalid(name + ": expected a whole number of 0 or more");
    }
  }

  private static JsonArray hashes(List<byte[]> proof) {
    JsonArray out = new JsonArray();
    proof.forEach(h -> out.add(b64(h)));
    return out;
  }

  private static String b64(byte[] hash) {
    return Base64.getEncoder().encodeToString(hash);
  }
}
