package org.placeshare.gateway.audit;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;

/**
 * The durable audit log in PostgreSQL. {@link #append} completes only once the event is committed,
 * so a response that waits for it never leaves unaudited.
 */
public final class AuditLog {

  private static final String INSERT =
      "INSERT INTO audit_event (event_id, recorded_at, request_id, action, outcome, http_status,"
          + " nhs_number, organisation, client_id, user_id, user_role, purpose, emergency, detail)"
          + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq";

  private final Pool pool;

  public AuditLog(Pool pool) {
    this.pool = pool;
  }

  /** Appends one event; the future holds its position in the log. */
  public Future<Long> append(AuditEvent event) {
    Caller caller = event.caller().orElse(null);
    Tuple row =
        Tuple.tuple()
            .addUUID(event.eventId())
            .addOffsetDateTime(event.recordedAt().atOffset(ZoneOffset.UTC))
            .addString(event.requestId())
            .addString(event.action())
            .addString(event.outcome().name().toLowerCase())
            .addInteger(event.httpStatus())
            .addString(event.patient().map(NhsNumber::toString).orElse(null))
            .addString(caller == null ? null : caller.organisation().value())
            .addString(caller == null ? null : caller.clientId())
            .addString(caller == null ? null : caller.userId())
            .addString(caller == null ? null : caller.role())
            .addString(caller == null ? null : caller.purpose().code())
            .addBoolean(event.emergency())
            .addValue(detail(event));
    return pool.preparedQuery(INSERT).execute(row).map(rows -> rows.iterator().next().getLong(0));
  }

  private static JsonObject detail(AuditEvent event) {
    JsonArray decisions = new JsonArray();
    for (AuditEvent.SourceDecision d : event.decisions()) {
      decisions.add(
          new JsonObject()
              .put("source", d.source())
              .put("provider", d.provider())
              .put("effect", d.effect())
              .put("agreement", d.agreement().orElse(null))
              .put("agreementSha256", d.agreementSha256().orElse(null))
              .put("considered", new JsonArray(d.considered()))
              .put("refusals", new JsonArray(d.refusals()))
              .put("monitored", d.monitored())
              .put("reviewRequired", d.reviewRequired())
              .put("codeListVersion", d.codeListVersion().orElse(null))
              .put("consent", d.consent().orElse(null))
              .put("reasons", new JsonArray(d.reasons())));
    }
    JsonObject released = new JsonObject();
    event.released().forEach((source, refs) -> released.put(source, new JsonArray(refs)));
    return new JsonObject()
        .put("decisions", decisions)
        .put("released", released)
        .put(
            "releasedCount",
            event.released().values().stream().mapToInt(java.util.List::size).sum())
        .put("sourceProblems", new JsonArray(event.sourceProblems()))
        .put("emergencyReason", event.emergencyReason().orElse(null))
        .put("relationshipClaim", event.relationshipClaim().orElse(null))
        .put("detail", event.detail())
        .put("latencyMillis", event.latencyMillis());
  }
}
