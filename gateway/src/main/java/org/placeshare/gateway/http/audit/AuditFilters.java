package org.placeshare.gateway.http.audit;

import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/** The audit search as a request's query parameters ask for it, strictly: a bad value is a 400. */
public final class AuditFilters {

  static final int DEFAULT_LIMIT = 50;

  /** The most events one page of a search returns. */
  public static final int MAX_LIMIT = 500;

  /** The most events one export or one person's accesses returns. */
  public static final int MAX_EXPORT = 100_000;

  private static final Set<String> OUTCOMES = Set.of("permitted", "refused", "failed", "evaluated");

  private AuditFilters() {}

  static AuditSearch.Filter filter(RoutingContext ctx, RequestState state) {
    return filter(ctx, state, DEFAULT_LIMIT);
  }

  /** The search filter from a request's parameters; a bad value is a GatewayException. */
  public static AuditSearch.Filter filter(
      RoutingContext ctx, RequestState state, int defaultLimit) {
    Optional<String> patient = param(ctx, "patient");
    if (patient.isPresent()) {
      try {
        state.patient = NhsNumber.parse(patient.get());
        patient = Optional.of(state.patient.toString());
      } catch (InvalidNhsNumberException e) {
        throw new GatewayException(IssueType.VALUE, "patient: " + e.getMessage());
      }
    }
    Optional<String> outcome = param(ctx, "decision");
    if (outcome.isPresent() && !OUTCOMES.contains(outcome.get())) {
      throw StrictJson.invalid("decision: expected permitted, refused, failed or evaluated");
    }
    Optional<Boolean> emergency =
        param(ctx, "emergency")
            .filter(v -> !v.isEmpty())
            .map(
                v -> {
                  if (!v.equals("true") && !v.equals("false")) {
                    throw StrictJson.invalid("emergency: expected true or false");
                  }
                  return Boolean.valueOf(v);
                });
    int limit = (int) number(ctx, "limit").orElse(defaultLimit);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw StrictJson.invalid("limit: expected 1 to " + MAX_LIMIT);
    }
    return new AuditSearch.Filter(
        patient,
        param(ctx, "action"),
        param(ctx, "request"),
        param(ctx, "organisation"),
        param(ctx, "user"),
        param(ctx, "agreement"),
        param(ctx, "purpose"),
        outcome,
        emergency,
        instant(ctx, "from"),
        instant(ctx, "to"),
        number(ctx, "before").stream().boxed().findFirst(),
        limit);
  }

  /** A filter value: 1 to 128 plain characters; anything else is refused, never searched for. */
  /** A filter value as the audit API and its FHIR search take it: plain characters only. */
  static final Pattern PLAIN_VALUE = Pattern.compile("[A-Za-z0-9 ._@:-]{1,128}");

  private static Optional<String> param(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    if (!PLAIN_VALUE.matcher(value).matches()) {
      throw StrictJson.invalid(name + ": expected 1 to 128 letters, digits, spaces or ._@:-");
    }
    return Optional.of(value);
  }

  private static OptionalLong number(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw StrictJson.invalid(name + ": expected a whole number");
    }
  }

  static Optional<Instant> instant(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null || value.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(OffsetDateTime.parse(value).toInstant());
    } catch (DateTimeParseException e) {
      throw StrictJson.invalid(name + ": expected an instant such as 2026-11-22T10:00:00Z");
    }
  }
}
