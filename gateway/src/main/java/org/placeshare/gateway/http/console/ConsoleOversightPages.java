package org.placeshare.gateway.http.console;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.audit.AgreementUsage;
import org.placeshare.gateway.audit.AuditAlerts;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditRecord;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.audit.AuditTree;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.BreakGlassReviews;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.audit.ReviewRefused;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.http.audit.AuditFilters;
import org.placeshare.gateway.http.audit.ReviewFailures;
import org.placeshare.gateway.http.edge.AuditUnavailable;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.edge.StrictJson;
import org.placeshare.gateway.policy.PolicyStore;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.NhsNumber;

/**
 * The console's oversight: break-glass reviews, the week's alerts, the agreements and their use,
 * and the log's integrity with "verify now". Each handler gathers a page's view model; the template
 * writes the HTML.
 */
public final class ConsoleOversightPages {

  /** How far back the alerts page looks. */
  static final Duration ALERT_WINDOW = Duration.ofDays(7);

  private final Console console;
  private final AuditSearch search;
  private final PolicyStore policy;
  private final AuditTree tree;
  private final Pool pool;
  private final AgreementUsage usage;
  private final ECKey auditPublicKey;
  private final Optional<Witnessing> witnessing;
  private final Clock clock;
  private final AtomicReference<String> lastVerified = new AtomicReference<>();

  public ConsoleOversightPages(
      Console console,
      AuditSearch search,
      PolicyStore policy,
      AuditTree tree,
      Pool pool,
      AgreementUsage usage,
      ECKey auditPublicKey,
      Optional<Witnessing> witnessing,
      Clock clock) {
    this.console = console;
    this.search = search;
    this.policy = policy;
    this.tree = tree;
    this.pool = pool;
    this.usage = usage;
    this.auditPublicKey = auditPublicKey;
    this.witnessing = witnessing;
    this.clock = clock;
  }

  public void reviews(RoutingContext ctx) {
    ConsoleSessions.Session session = Console.session(ctx, "reviews");
    search
        .awaitingReview(AuditFilters.MAX_LIMIT)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              List<ReviewsPage.Awaiting> awaiting = new ArrayList<>();
              for (AuditRecord r : found) {
                awaiting.add(
                    new ReviewsPage.Awaiting(
                        r.eventId(),
                        r.recordedAt()
                            + ": "
                            + r.userId()
                            + " ("
                            + r.organisation()
                            + ") saw "
                            + r.nhsNumber(),
                        ConsoleAuditPages.text(r.detail().getString("emergencyReason")),
                        BreakGlassReviews.conflictOfInterest(r, session.caller())
                            .map(ReviewRefused::getMessage)));
              }
              console.show(
                  ctx,
                  new ReviewsPage(
                      Console.chrome(ctx, "Emergency reviews"), session.csrf(), awaiting),
                  "console review queue: " + found.size());
            });
  }

  public void review(RoutingContext ctx) {
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      ctx.fail(404, new GatewayException(IssueType.NOTFOUND, "no such event"));
      return;
    }
    String outcome = ctx.request().getFormAttribute("outcome");
    String comment = ctx.request().getFormAttribute("comment");
    if (outcome == null
        || !BreakGlassReviews.OUTCOMES.contains(outcome)
        || comment == null
        || comment.isBlank()
        || comment.length() > StrictJson.MAX_STATED_REASON) {
      ctx.fail(
          400,
          StrictJson.invalid("a review needs an outcome and a comment of 1 to 500 characters"));
      return;
    }
    RequestState state = RequestState.get(ctx);
    state.action = AuditSearch.REVIEW_ACTION;
    BreakGlassReviews.oneAtATime(
            pool,
            id,
            () ->
                BreakGlassReviews.reviewable(search, id)
                    .compose(
                        event -> {
                          NhsNumber.tryParse(event.nhsNumber()).ifPresent(p -> state.patient = p);
                          Optional<ReviewRefused> conflict =
                              BreakGlassReviews.conflictOfInterest(event, state.caller);
                          if (conflict.isPresent()) {
                            return Future.failedFuture(conflict.get());
                          }
                          return console.audited(
                              ctx, BreakGlassReviews.detail(id, outcome, comment));
                        }))
        .onFailure(e -> ReviewFailures.fail(ctx, e))
        .onSuccess(v -> Console.redirect(ctx, "/console/reviews"));
  }

  public void alerts(RoutingContext ctx) {
    Instant to = clock.instant();
    search
        .events(AuditSearch.Filter.window(to.minus(ALERT_WINDOW), to, AuditFilters.MAX_EXPORT))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            found -> {
              List<AlertsPage.Alert> alerts = new ArrayList<>();
              for (AuditAlerts.Alert a : Witnessing.alerts(found, witnessing)) {
                alerts.add(new AlertsPage.Alert(a.kind(), a.description(), a.events()));
              }
              console.show(
                  ctx,
                  new AlertsPage(Console.chrome(ctx, "Alerts"), alerts),
                  "console alerts: " + alerts.size());
            });
  }

  public void agreements(RoutingContext ctx) {
    LocalDate today = LocalDate.now(clock);
    Instant since =
        today.minusDays(AgreementsPage.CHART_DAYS - 1L).atStartOfDay().toInstant(ZoneOffset.UTC);
    usage
        .since(since)
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            used -> {
              List<AgreementsPage.Agreement> sections = new ArrayList<>();
              for (Agreement a : policy.current().agreements()) {
                Map<LocalDate, AgreementsPage.Day> days = days(used.getOrDefault(a.id(), Map.of()));
                sections.add(
                    new AgreementsPage.Agreement(
                        a.id(),
                        a.title() + " (" + a.reference() + ")",
                        "Status "
                            + a.status().name().toLowerCase()
                            + ", in force "
                            + a.effective()
                            + " to "
                            + a.expires()
                            + ", review due "
                            + a.review()
                            + ".",
                        "Providers: "
                            + a.providers()
                            + ". Recipients: "
                            + a.recipients().keySet()
                            + ". Purposes: "
                            + a.purposesOfUse()
                            + ".",
                        a.purpose().problem(),
                        BusinessCaseListings.listings(a),
                        AgreementsPage.Chart.of(a.id(), today, days),
                        List.copyOf(days.values())));
              }
              console.show(
                  ctx,
                  new AgreementsPage(Console.chrome(ctx, "Agreements"), sections),
                  "console agreements");
            });
  }

  public void integrity(RoutingContext ctx) {
    ConsoleSessions.Session session = Console.session(ctx, "integrity");
    tree.latest()
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            signed -> {
              Optional<String> checkpoint =
                  signed.map(
                      s -> {
                        Checkpoint c = Checkpoint.readUnverified(s);
                        return "Latest signed checkpoint: "
                            + c.size()
                            + " events, root "
                            + c.rootBase64()
                            + ", signed at "
                            + c.time()
                            + " for "
                            + c.origin()
                            + ".";
                      });
              console.show(
                  ctx,
                  new IntegrityPage(
                      Console.chrome(ctx, "Log integrity"),
                      checkpoint,
                      Optional.ofNullable(lastVerified.get()),
                      session.csrf(),
                      witnessing.map(
                          w ->
                              IntegrityPage.table(
                                  w.status(), w.config().quorum(), clock.instant()))),
                  "console integrity");
            });
  }

  public void verifyNow(RoutingContext ctx) {
    RequestState.get(ctx).action = "console-verify";
    tree.checkpoint()
        .compose(c -> AuditExport.read(pool))
        .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
        .onSuccess(
            contents -> {
              AuditVerifier.Report report =
                  AuditVerifier.verify(
                      contents.leaves().iterator(), contents.checkpoints(), auditPublicKey);
              lastVerified.set(report.summary() + " (checked at " + clock.instant() + ")");
              console
                  .audited(ctx, "console verify: " + report.summary())
                  .onFailure(e -> ctx.fail(503, new AuditUnavailable(e)))
                  .onSuccess(v -> Console.redirect(ctx, "/console/integrity"));
            });
  }

  private static Map<LocalDate, AgreementsPage.Day> days(Map<LocalDate, AgreementUsage.Day> used) {
    Map<LocalDate, AgreementsPage.Day> days = new TreeMap<>();
    used.forEach(
        (day, u) ->
            days.put(
                day,
                new AgreementsPage.Day(
                    u.day(), u.requests(), u.permitted(), u.refused(), u.people(), u.records())));
    return days;
  }
}
