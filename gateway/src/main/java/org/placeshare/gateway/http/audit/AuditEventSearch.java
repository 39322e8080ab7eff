package org.placeshare.gateway.http.audit;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;

/**
 * {@code GET /fhir/AuditEvent}: the audit log as a FHIR search, for IG leads only, answering a
 * {@code searchset} Bundle of the BALP AuditEvents the audit search's {@code format=fhir} gives
 * ({@link AuditFhir}), newest first, in pages with {@code next} links that page by log index (a
 * page never shifts as the log grows). A page holds up to {@code _count} events, whole log entries
 * at a time (an entry that released records is two or three events); with {@code type} or {@code
 * subtype} it may hold fewer, and its {@code next} link goes on. Every search is itself audited.
 */
public final class AuditEventSearch {

  /** The action the search is audited as: a read of the audit, as the audit API's. */
  public static final String ACTION = "audit-read";

  private final AuditSearch search;
  private final AuditLog audit;
  private final String publicUrl;
  private final Clock clock;

  public AuditEventSearch(AuditSearch search, AuditLog audit, String publicUrl, Clock clock) {
    this.search = search;
    this.audit = audit;
    this.publicUrl = publicUrl;
    this.clock = clock;
  }

  /** Names the request's action before who asks is checked: a refusal is audited as this read. */
  public void begin(RoutingContext ctx) {
    RequestState.get(ctx).action = ACTION;
    ctx.next();
  }

  public void search(RoutingContext ctx) {
    RequestState state = RequestState.get(ctx);
    AuditEventQuery query;
    try {
      query = AuditEventQuery.parse(ctx.queryParams());
    } catch (GatewayException e) {
      ctx.fail(400, e);
      return;
    }
    query.patient().ifPresent(p -> state.patient = p);
    Future<List<AuditRecord>> found =
        query.nothing()
            ? Future.succeededFuture(List.of())
            : search.events(query.filter(), query.outcomes());
    found
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(records -> answer(ctx, query, records));
  }

  private void answer(RoutingContext ctx, AuditEventQuery query, List<AuditRecord> records) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.addLink().setRelation("self").setUrl(url(ctx, null));
    List<AuditEvent> events = new ArrayList<>();
    long last = -1;
    int read = 0;
    boolean more = records.size() == query.count();
    for (AuditRecord r : records) {
      if (events.size() >= query.count()) {
        more = true; // the page is full: the next one starts at this entry
        break;
      }
      AuditFhir.events(r, publicUrl).stream().filter(query::matches).forEach(events::add);
      last = r.leafIndex();
      read++;
    }
    if (more && last >= 0) {
      bundle.addLink().setRelation("next").setUrl(url(ctx, last));
    }
    for (AuditEvent e : events) {
      bundle
          .addEntry()
          .setFullUrl("urn:uuid:" + e.getIdPart())
          .setResource(e)
          .getSearch()
          .setMode(Bundle.SearchEntryMode.MATCH);
    }
    FhirFormat format = FhirFormat.of(ctx);
    AuditEndpoints.respond(
        audit,
        clock,
        ctx,
        "FHIR AuditEvent search: " + events.size() + " events of " + read + " log entries",
        FhirFormat.contentType(ctx),
        format.encode(bundle),
        null);
  }

  /** This search's URL, at the log index {@code before} when given (a next page). */
  private String url(RoutingContext ctx, Long before) {
    StringJoiner query = new StringJoiner("&");
    for (Map.Entry<String, String> p : ctx.queryParams()) {
      if (!p.getKey().equals(AuditEventQuery.CURSOR) || before == null) {
        query.add(encode(p.getKey()) + "=" + encode(p.getValue()));
      }
    }
    if (before != null) {
      query.add(AuditEventQuery.CURSOR + "=" + before);
    }
    String q = query.toString();
    return publicUrl + "/fhir/AuditEvent" + (q.isEmpty() ? "" : "?" + q);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
