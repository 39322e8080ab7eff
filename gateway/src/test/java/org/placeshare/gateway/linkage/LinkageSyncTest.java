package org.placeshare.gateway.linkage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.placeshare.gateway.linkage.TracingFakes.AVA;
import static org.placeshare.gateway.linkage.TracingFakes.ISLA;
import static org.placeshare.gateway.linkage.TracingFakes.JENNIFER;
import static org.placeshare.gateway.linkage.TracingFakes.JEN_BORN;
import static org.placeshare.gateway.linkage.TracingFakes.PAUL;
import static org.placeshare.gateway.linkage.TracingFakes.PAULINE;
import static org.placeshare.gateway.linkage.TracingFakes.TWINS_BORN;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkMethod;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.Matcher;
import org.placeshare.fhir.mapped.RosterPage;
import org.placeshare.gateway.TestPostgres;
import org.placeshare.gateway.audit.AuditLog;
import org.placeshare.gateway.linkage.TracingFakes.ListRoster;
import org.placeshare.gateway.linkage.TracingFakes.MemoryIndex;
import org.placeshare.gateway.storage.Database;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * The sync's decisions, against the real register in PostgreSQL and the real audit log. The index
 * and the agency's roster are small in-test implementations of {@link
 * org.placeshare.fhir.linkage.ReferenceIndex} and {@link org.placeshare.fhir.mapped.Roster} (see
 * {@link TracingFakes}): those interfaces are the boundary; the real index client and agency
 * sources are tested with their servers end to end once the parts are merged.
 */
class LinkageSyncTest {

  @TempDir static Path dir;
  static Vertx vertx;
  static Database db;
  static AuditLog audit;
  static LinkageRegister register;

  @BeforeAll
  static void open() throws Exception {
    vertx = Vertx.vertx();
    db = Database.open(vertx, TestPostgres.freshDatabase(), dir).await();
    audit = new AuditLog(db.pool());
    register = new LinkageRegister(db.pool());
  }

  @AfterAll
  static void close() {
    if (db != null) {
      db.close().await();
    }
    vertx.close().await();
  }

  static LinkageSync sync(ListRoster roster, MemoryIndex index) {
    return new LinkageSync(
        vertx,
        db.pool(),
        register,
        Optional.of(index),
        List.of(roster),
        audit,
        Duration.ofMinutes(15),
        Clock.systemUTC());
  }

  static SyncReport run(LinkageSync sync, ListRoster roster) {
    return sync.sync(roster.descriptor().id(), Optional.empty()).await();
  }

  static List<Link> links(ListRoster roster, NhsNumber nhs) {
    return register.linksTo(roster.descriptor().id(), nhs).await();
  }

  static List<Review> reviews(ListRoster roster) {
    return register.openReviews(List.of(roster.descriptor().id())).await();
  }

  /** Audit rows of a person, as "action: detail" lines. */
  static List<String> auditOf(NhsNumber nhs) {
    List<String> found = new ArrayList<>();
    for (Row r :
        db.pool()
            .preparedQuery(
                "SELECT action, detail->>'detail' FROM audit_event WHERE nhs_number = $1 ORDER BY"
                    + " seq")
            .execute(Tuple.of(nhs.toString()))
            .await()) {
      found.add(r.getString(0) + ": " + r.getString(1));
    }
    return found;
  }

  static final Demographics JEN_MOVED =
      Demographics.of("Armstrong", "Jennifer", JEN_BORN, "female", "NE1 4XF");

  @Test
  void sync_certainTrace_linksAutomatically() {
    ListRoster roster =
        new ListRoster("police-certain", "NPF01", 2)
            .with("P-1", Demographics.of("Armstrong", "Jenny", JEN_BORN, "female", "SR2 8JE"));
    SyncReport report = run(sync(roster, new MemoryIndex(JENNIFER, PAUL)), roster);

    assertThat(report.outcome()).isEqualTo(SyncReport.Outcome.SUCCEEDED);
    assertThat(report.linked()).isEqualTo(1);
    List<Link> links = links(roster, JENNIFER.nhsNumber());
    assertThat(links).hasSize(1);
    assertThat(links.get(0).localId()).isEqualTo("P-1");
    assertThat(links.get(0).method()).isEqualTo(LinkMethod.AUTOMATIC);
    assertThat(links.get(0).grade()).isEqualTo(MatchGrade.CERTAIN);
    assertThat(links.get(0).reviewer()).isEmpty();
    // The trace and the link are audited under the person's NHS number, without demographics.
    List<String> events = auditOf(JENNIFER.nhsNumber());
    assertThat(events)
        .anyMatch(e -> e.startsWith("trace: trace of police-certain record P-1: certain"))
        .anyMatch(e -> e.startsWith("link: police-certain record P-1 linked automatically"))
        .noneMatch(e -> e.contains("ARMSTRONG") || e.contains("SR2") || e.contains("1984"));
  }

  @Test
  void sync_unchangedLiveLink_isNotTracedAgain() {
    ListRoster roster =
        new ListRoster("police-unchanged", "NPF01", 2).with("P-1", JENNIFER.demographics());
    MemoryIndex index = new MemoryIndex(JENNIFER);
    LinkageSync sync = sync(roster, index);
    run(sync, roster);
    int searches = index.searches.get();

    SyncReport again = run(sync, roster);

    assertThat(index.searches.get()).isEqualTo(searches);
    assertThat(again.unchanged()).isEqualTo(1);
    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);
  }

  @Test
  void sync_twinsAtOneAddress_neverLinkAndGoToReview() {
    // The school lists a twin by family name only: both twins at the address score CERTAIN.
    Demographics oneOfTheTwins = Demographics.of("Robson", null, TWINS_BORN, "female", "SR4 7QX");
    assertThat(Matcher.grade(oneOfTheTwins, AVA.demographics())).isEqualTo(MatchGrade.CERTAIN);
    assertThat(Matcher.grade(oneOfTheTwins, ISLA.demographics())).isEqualTo(MatchGrade.CERTAIN);
    ListRoster roster = new ListRoster("schools-twins", "SCH01", 2).with("S-7", oneOfTheTwins);

    SyncReport report = run(sync(roster, new MemoryIndex(AVA, ISLA)), roster);

    assertThat(report.linked()).isZero();
    assertThat(report.queued()).isEqualTo(1);
    assertThat(links(roster, AVA.nhsNumber())).isEmpty();
    assertThat(links(roster, ISLA.nhsNumber())).isEmpty();
    Review review = reviews(roster).get(0);
    assertThat(review.reason()).startsWith("ambiguous");
    assertThat(review.candidates())
        .extracting(ReviewCandidate::nhsNumber)
        .containsExactlyInAnyOrder(AVA.nhsNumber(), ISLA.nhsNumber());
    assertThat(review.candidates()).allMatch(c -> c.grade() == MatchGrade.PROBABLE);
    // The review's audit event names no candidate's NHS number in its text: only the person it is
    // filed under would find it in their subject access report.
    List<String> details = new ArrayList<>();
    db.pool()
        .query("SELECT detail->>'detail' FROM audit_event WHERE action = 'link-review'")
        .execute()
        .await()
        .forEach(r -> details.add(r.getString(0)));
    assertThat(details)
        .filteredOn(d -> d.contains("schools-twins"))
        .isNotEmpty()
        .noneMatch(d -> d.contains(AVA.nhsNumber().toString()))
        .noneMatch(d -> d.contains(ISLA.nhsNumber().toString()));
  }

  @Test
  void sync_probable_goesToReview_andStewardDecisionLinksWithTheirName() {
    ListRoster roster = new ListRoster("housing-probable", "GHA01", 2).with("T-40", JEN_MOVED);
    SyncReport report = run(sync(roster, new MemoryIndex(JENNIFER, PAUL)), roster);

    assertThat(report.queued()).isEqualTo(1);
    assertThat(links(roster, JENNIFER.nhsNumber())).isEmpty();
    Review review = reviews(roster).get(0);
    assertThat(review.reason()).isEqualTo("probable match");
    assertThat(review.demographics()).isEqualTo(JEN_MOVED);
    ReviewCandidate candidate = review.candidates().get(0);
    assertThat(candidate.nhsNumber()).isEqualTo(JENNIFER.nhsNumber());
    assertThat(candidate.levels()).containsEntry("postcode", "disagree");
    List<String> audited = new ArrayList<>();

    LinkageRegister.Decision decision =
        register
            .decide(
                review.id(),
                Set.of("housing-probable"),
                Optional.of("1"),
                new Steward("steward.ann", "gha-steward"),
                Clock.systemUTC().instant(),
                d -> {
                  audited.add(d.outcome());
                  return Future.succeededFuture();
                })
            .await();

    assertThat(decision.outcome()).isEqualTo(Review.LINK);
    assertThat(audited).containsExactly(Review.LINK);
    Link link = links(roster, JENNIFER.nhsNumber()).get(0);
    assertThat(link.method()).isEqualTo(LinkMethod.REVIEWED);
    assertThat(link.reviewer()).contains("steward.ann via gha-steward");
    assertThat(reviews(roster)).isEmpty();
  }

  @Test
  void decide_handleNotACandidate_isRefusedAndLinksNothing() {
    ListRoster roster = new ListRoster("housing-notcandidate", "GHA01", 2).with("T-41", JEN_MOVED);
    run(sync(roster, new MemoryIndex(JENNIFER)), roster);
    Review review = reviews(roster).get(0);

    Future<LinkageRegister.Decision> decided =
        register.decide(
            review.id(),
            Set.of("housing-notcandidate"),
            Optional.of("2"),
            new Steward("steward.ann", "gha-steward"),
            Clock.systemUTC().instant(),
            d -> Future.succeededFuture());

    Throwable refused = decided.transform(Future::succeededFuture).await().cause();
    assertThat(refused).isInstanceOf(LinkageRefused.class);
    assertThat(((LinkageRefused) refused).status()).isEqualTo(400);
    assertThat(refused).hasMessage("candidate: expected one of the review's candidates, 1 to 1");
    assertThat(links(roster, PAUL.nhsNumber())).isEmpty();
    assertThat(links(roster, JENNIFER.nhsNumber())).isEmpty();
    assertThat(reviews(roster)).hasSize(1);
  }

  @Test
  void undo_linkIsNotReturnedAndNextSyncDoesNotRelinkItAutomatically() {
    ListRoster roster =
        new ListRoster("police-undo", "NPF01", 2).with("P-9", JENNIFER.demographics());
    LinkageSync sync = sync(roster, new MemoryIndex(JENNIFER));
    run(sync, roster);
    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);

    register
        .undo(
            "police-undo",
            "P-9",
            Set.of("police-undo"),
            new Steward("steward.bob", "npf-steward"),
            "wrong person: a namesake",
            Clock.systemUTC().instant(),
            l -> Future.succeededFuture())
        .await();
    assertThat(links(roster, JENNIFER.nhsNumber())).isEmpty();

    SyncReport next = run(sync, roster);

    assertThat(next.linked()).isZero();
    assertThat(links(roster, JENNIFER.nhsNumber())).isEmpty();
    assertThat(reviews(roster))
        .singleElement()
        .satisfies(r -> assertThat(r.reason()).contains("undone"));
    RegisteredLink row = register.link("police-undo", "P-9").await().orElseThrow();
    assertThat(row.status()).isEqualTo(LinkStatus.UNDONE);
    assertThat(row.undone().orElseThrow().reason()).isEqualTo("wrong person: a namesake");
    // The review stays the one review: a third sync adds none.
    run(sync, roster);
    assertThat(reviews(roster)).hasSize(1);
  }

  @Test
  void sync_changedDemographicsOfALink_putItToReviewAndOutOfViews() {
    ListRoster roster =
        new ListRoster("youth-changed", "YJS01", 2).with("Y-3", JENNIFER.demographics());
    LinkageSync sync = sync(roster, new MemoryIndex(JENNIFER));
    run(sync, roster);
    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);

    roster.with("Y-3", JEN_MOVED);
    SyncReport report = run(sync, roster);

    assertThat(report.queued()).isEqualTo(1);
    assertThat(links(roster, JENNIFER.nhsNumber())).isEmpty();
    assertThat(register.link("youth-changed", "Y-3").await().orElseThrow().status())
        .isEqualTo(LinkStatus.RECHECKING);
    assertThat(reviews(roster).get(0).reason()).isEqualTo("its demographics changed");
    assertThat(auditOf(JENNIFER.nhsNumber()))
        .anyMatch(e -> e.startsWith("link-review: youth-changed record Y-3 put to review"));
  }

  @Test
  void sync_changedDemographicsStillCertainToTheSamePerson_refreshesTheLink() {
    ListRoster roster =
        new ListRoster("youth-refresh", "YJS01", 2).with("Y-4", JENNIFER.demographics());
    LinkageSync sync = sync(roster, new MemoryIndex(JENNIFER));
    run(sync, roster);

    roster.with("Y-4", Demographics.of("Armstrong", "Jenny", JEN_BORN, "female", "SR2 8JE"));
    SyncReport report = run(sync, roster);

    assertThat(report.refreshed()).isEqualTo(1);
    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);
    assertThat(register.link("youth-refresh", "Y-4").await().orElseThrow().demographics().given())
        .isEqualTo("JENNY");
  }

  @Test
  void sync_certainToAnotherNhsNumberThanItsLink_goesToReviewNeverMoves() {
    ListRoster roster = new ListRoster("police-moves", "NPF01", 2).with("P-5", PAUL.demographics());
    MemoryIndex index = new MemoryIndex(PAUL, PAULINE);
    LinkageSync sync = sync(roster, index);
    run(sync, roster);
    assertThat(links(roster, PAUL.nhsNumber())).hasSize(1);

    // The force corrects the record: it was Pauline all along.
    roster.with("P-5", PAULINE.demographics());
    run(sync, roster);

    assertThat(links(roster, PAUL.nhsNumber())).isEmpty();
    assertThat(links(roster, PAULINE.nhsNumber())).isEmpty();
    assertThat(reviews(roster).get(0).reason()).contains("another NHS number");
  }

  /**
   * A row as the register stored it before folded names were capped (attacker review, finding 6):
   * 30 × ß folded to 60 letters, which no longer reads back.
   */
  static void storeUnreadableRows(String source, String linkId, String reviewId, NhsNumber nhs) {
    String demographics =
        "{\"family\":\""
            + "SS".repeat(30)
            + "\",\"given\":null,\"previousFamilies\":[],\"birthDate\":\"1990-01-01\","
            + "\"gender\":null,\"postcode\":null,\"previousPostcodes\":[],\"addressLine\":null,"
            + "\"uprn\":null}";
    String fingerprint = "0".repeat(64);
    db.pool()
        .preparedQuery(
            "INSERT INTO linkage_link (source, local_id, nhs_number, grade, score, method,"
                + " linked_at, demographics, fingerprint, status) VALUES ($1, $2, $3, 'certain',"
                + " 30.0, 'automatic', now(), $4::jsonb, $5, 'linked')")
        .execute(Tuple.of(source, linkId, nhs.toString(), demographics, fingerprint))
        .await();
    db.pool()
        .preparedQuery(
            "INSERT INTO linkage_review (id, source, local_id, demographics, fingerprint,"
                + " candidates, reason, opened_at) VALUES ($1, $2, $3, $4::jsonb, $5, '[]'::jsonb,"
                + " 'probable match', now())")
        .execute(Tuple.of(UUID.randomUUID(), source, reviewId, demographics, fingerprint))
        .await();
  }

  @Test
  void register_storedRowsThatNoLongerReadBack_areSkipped_neverJamViewsListingsOrTheSync() {
    ListRoster roster =
        new ListRoster("police-unreadable", "NPF01", 2).with("P-1", JENNIFER.demographics());
    LinkageSync sync = sync(roster, new MemoryIndex(JENNIFER, PAUL));
    run(sync, roster);
    storeUnreadableRows("police-unreadable", "P-2", "P-3", JENNIFER.nhsNumber());
    roster.with("P-2", PAUL.demographics()).with("P-4", PAUL.demographics());

    // A view of the person: the link that reads back, not a failure of the whole source.
    assertThat(links(roster, JENNIFER.nhsNumber()))
        .extracting(Link::localId)
        .containsExactly("P-1");
    // The steward's listings: the rows that read back.
    assertThat(register.links("police-unreadable", Optional.empty()).await())
        .extracting(l -> l.link().localId())
        .containsExactly("P-1");
    assertThat(reviews(roster)).isEmpty();
    // The sync: that record skipped and counted, the rest of its page traced.
    SyncReport report = run(sync, roster);

    assertThat(report.outcome()).isEqualTo(SyncReport.Outcome.SUCCEEDED);
    assertThat(report.unreadable()).isEqualTo(1);
    assertThat(report.summary()).contains("1 skipped (stored link unreadable)");
    assertThat(links(roster, PAUL.nhsNumber())).extracting(Link::localId).containsExactly("P-4");
  }

  @Test
  void sync_stewardLinksWhileTheRecordIsTraced_certainTraceToAnotherPersonNeverMovesTheLink() {
    // The record moved house: a probable review of Jennifer awaits the housing steward.
    ListRoster roster = new ListRoster("housing-race", "GHA01", 2).with("T-50", JEN_MOVED);
    run(sync(roster, new MemoryIndex(JENNIFER, PAUL)), roster);
    UUID id = reviews(roster).get(0).id();
    // The agency then corrects the record to Paul, and the next sync reads the page's states (an
    // open review, no link) before it traces T-50. The steward's decision of the old review lands
    // in between: the index boundary holds the trace until the decision has committed.
    roster.with("T-50", PAUL.demographics());
    MemoryIndex index =
        new MemoryIndex(JENNIFER, PAUL) {
          @Override
          public Future<List<Candidate>> search(Demographics query, int count) {
            return register
                .decide(
                    id,
                    Set.of("housing-race"),
                    Optional.of("1"),
                    new Steward("steward.ann", "gha-steward"),
                    Clock.systemUTC().instant(),
                    d -> Future.succeededFuture())
                .compose(d -> super.search(query, count));
          }
        };

    SyncReport report = run(sync(roster, index), roster);

    // Paul traced certain, but the record is the steward's link to Jennifer now: not moved to Paul,
    // taken out of views and put to review, as a link whose record traces to another person is.
    assertThat(links(roster, PAUL.nhsNumber())).isEmpty();
    RegisteredLink row = register.link("housing-race", "T-50").await().orElseThrow();
    assertThat(row.link().nhsNumber()).isEqualTo(JENNIFER.nhsNumber());
    assertThat(row.link().method()).isEqualTo(LinkMethod.REVIEWED);
    assertThat(row.link().reviewer()).contains("steward.ann via gha-steward");
    assertThat(row.status()).isEqualTo(LinkStatus.RECHECKING);
    assertThat(reviews(roster))
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.reason())
                    .isEqualTo("traced certainly to another NHS number than its link"));
    assertThat(report.linked()).isZero();
    assertThat(report.queued()).isEqualTo(1);
    // Nothing claims a link to Paul was made; the trace to him is audited once.
    assertThat(auditOf(PAUL.nhsNumber()))
        .noneMatch(e -> e.startsWith("link: housing-race record T-50"))
        .filteredOn(e -> e.startsWith("trace: trace of housing-race record T-50"))
        .hasSize(1);
  }

  @Test
  void sync_unusableEntries_areCountedNeverLinked() {
    ListRoster roster =
        new ListRoster("schools-unusable", "SCH01", 2)
            .unusable("S-1", "no birth date")
            .unusable("S-2", "family name has digits")
            .with("S-3", JENNIFER.demographics());
    MemoryIndex index = new MemoryIndex(JENNIFER);

    SyncReport report = run(sync(roster, index), roster);

    assertThat(report.unusable()).isEqualTo(2);
    assertThat(report.linked()).isEqualTo(1);
    assertThat(index.searches.get()).isEqualTo(1);
    SourceLinkage summary = register.summaries(List.of("schools-unusable")).await().get(0);
    assertThat(summary.unusable()).isEqualTo(2);
    assertThat(summary.linked()).isEqualTo(1);
    assertThat(register.link("schools-unusable", "S-1").await()).isEmpty();
  }

  @Test
  void sync_certainlyNot_isCountedAsNotTraced() {
    ListRoster roster =
        new ListRoster("schools-nottraced", "SCH01", 2)
            .with("S-4", Demographics.of("Zed", "Quinn", LocalDate.of(2001, 2, 3), "male", null));

    SyncReport report = run(sync(roster, new MemoryIndex(JENNIFER, PAUL)), roster);

    assertThat(report.notTraced()).isEqualTo(1);
    assertThat(register.summaries(List.of("schools-nottraced")).await().get(0).notTraced())
        .isEqualTo(1);
    assertThat(reviews(roster)).isEmpty();
  }

  @Test
  void sync_indexDown_reportsTroubleAndKeepsLinks() {
    ListRoster roster =
        new ListRoster("police-down", "NPF01", 1).with("P-1", JENNIFER.demographics());
    MemoryIndex index = new MemoryIndex(JENNIFER, PAUL);
    LinkageSync sync = sync(roster, index);
    run(sync, roster);
    assertThat(register.tracingTrouble("police-down")).isEmpty();

    index.down = true;
    roster.with("P-2", PAUL.demographics());
    SyncReport failed = run(sync, roster);

    assertThat(failed.outcome()).isEqualTo(SyncReport.Outcome.FAILED);
    assertThat(register.tracingTrouble("police-down"))
        .contains("the reference index could not be reached: the index answered 503");
    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);
    SourceLinkage summary = register.summaries(List.of("police-down")).await().get(0);
    assertThat(summary.lastOutcome()).contains("failed");
    assertThat(summary.trouble()).isPresent();
    // Another instance learns of it from the table.
    LinkageRegister other = new LinkageRegister(db.pool());
    other.loadTrouble().await();
    assertThat(other.tracingTrouble("police-down")).isPresent();

    index.down = false;
    run(sync, roster);
    assertThat(register.tracingTrouble("police-down")).isEmpty();
    assertThat(links(roster, PAUL.nhsNumber())).hasSize(1);
  }

  @Test
  void sync_noIndexConfigured_reportsTrouble() {
    ListRoster roster =
        new ListRoster("police-noindex", "NPF01", 1).with("P-1", PAUL.demographics());
    LinkageSync sync =
        new LinkageSync(
            vertx,
            db.pool(),
            register,
            Optional.empty(),
            List.of(roster),
            audit,
            Duration.ofMinutes(15),
            Clock.systemUTC());

    run(sync, roster);

    assertThat(register.tracingTrouble("police-noindex")).contains(LinkageSync.NO_INDEX);
  }

  @Test
  void begin_whileASyncOfTheSourceRuns_isRefusedOnAnyInstance() {
    Promise<RosterPage> held = Promise.promise();
    ListRoster slow =
        new ListRoster("housing-slow", "GHA01", 1) {
          @Override
          public Future<RosterPage> page(Optional<String> cursor) {
            return held.future();
          }
        };
    LinkageSync one = sync(slow, new MemoryIndex(JENNIFER));
    LinkageSync another = sync(slow, new MemoryIndex(JENNIFER));
    Future<SyncReport> running = one.begin("housing-slow", Optional.empty()).await();

    Throwable refused =
        another
            .begin("housing-slow", Optional.empty())
            .transform(Future::succeededFuture)
            .await()
            .cause();

    assertThat(refused).isInstanceOf(LinkageRefused.class);
    assertThat(((LinkageRefused) refused).status()).isEqualTo(409);
    held.complete(new RosterPage(List.of(), Optional.empty()));
    assertThat(running.await().outcome()).isEqualTo(SyncReport.Outcome.SUCCEEDED);
    assertThat(another.sync("housing-slow", Optional.empty()).await().outcome())
        .isEqualTo(SyncReport.Outcome.SUCCEEDED);
  }

  /** A roster whose pages the test holds, of a source with this deadline. */
  static ListRoster heldRoster(
      String id, Duration deadline, Function<String, Future<RosterPage>> pages) {
    return new ListRoster(id, "NPF01", 1) {
      @Override
      public SourceDescriptor descriptor() {
        return new SourceDescriptor(
            id,
            OdsCode.of("NPF01"),
            URI.create("http://127.0.0.1:1/" + id),
            deadline,
            List.of("Observation"));
      }

      @Override
      public Future<RosterPage> page(Optional<String> cursor) {
        return pages.apply(cursor.orElse("0"));
      }
    };
  }

  @Test
  void sync_rosterPageNeverEnding_failsAtTheSourcesDeadline_andReleasesTheLock() throws Exception {
    // An agency trickling its page: it never ends (attacker review, finding 10).
    ListRoster trickling =
        heldRoster(
            "police-trickling",
            Duration.ofMillis(500),
            c -> Promise.<RosterPage>promise().future());
    LinkageSync sync = sync(trickling, new MemoryIndex(JENNIFER));
    long started = System.nanoTime();

    SyncReport report =
        sync.sync("police-trickling", Optional.empty())
            .toCompletionStage()
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(report.outcome()).isEqualTo(SyncReport.Outcome.FAILED);
    assertThat(report.trouble())
        .contains(
            "the source's roster could not be read: did not send a roster page within 500 ms");
    assertThat(register.tracingTrouble("police-trickling")).isEqualTo(report.trouble());
    // The lock is free: the next sync begins (and meets the same agency).
    Future<SyncReport> next = sync.begin("police-trickling", Optional.empty()).await();
    assertThat(next.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).outcome())
        .isEqualTo(SyncReport.Outcome.FAILED);
  }

  @Test
  void stop_whileAnAgencyTricklesItsPage_waitsNoLongerThanItsDeadline() throws Exception {
    ListRoster trickling =
        heldRoster(
            "police-trickling-stop",
            Duration.ofMillis(500),
            c -> Promise.<RosterPage>promise().future());
    LinkageSync sync = sync(trickling, new MemoryIndex(JENNIFER));
    sync.begin("police-trickling-stop", Optional.empty()).await();
    long started = System.nanoTime();

    sync.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void sync_runningPastItsCap_failsWithTroubleAndReleasesItsLock() throws Exception {
    // Every page within the deadline, but there is always another one.
    ListRoster endless =
        heldRoster(
            "police-endless",
            Duration.ofSeconds(5),
            c -> {
              Promise<RosterPage> page = Promise.promise();
              vertx.setTimer(
                  50,
                  id ->
                      page.complete(
                          new RosterPage(
                              List.of(), Optional.of(String.valueOf(Integer.parseInt(c) + 1)))));
              return page.future();
            });
    LinkageSync sync =
        new LinkageSync(
            vertx,
            db.pool(),
            register,
            Optional.of(new MemoryIndex(JENNIFER)),
            List.of(endless),
            audit,
            Duration.ofMinutes(15),
            Duration.ofMillis(400),
            Clock.systemUTC());

    SyncReport report =
        sync.sync("police-endless", Optional.empty())
            .toCompletionStage()
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertThat(report.outcome()).isEqualTo(SyncReport.Outcome.FAILED);
    assertThat(report.trouble())
        .contains("the sync took longer than 400 ms and was stopped; the next sync starts again");
    Future<SyncReport> again = sync.begin("police-endless", Optional.empty()).await();
    assertThat(again.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).outcome())
        .as("the lock was free again")
        .isEqualTo(SyncReport.Outcome.FAILED);
  }

  @Test
  void decide_secondDecision_isAConflict() {
    ListRoster roster = new ListRoster("housing-twice", "GHA01", 2).with("T-42", JEN_MOVED);
    run(sync(roster, new MemoryIndex(JENNIFER)), roster);
    UUID id = reviews(roster).get(0).id();
    Steward steward = new Steward("steward.ann", "gha-steward");
    register
        .decide(
            id,
            Set.of("housing-twice"),
            Optional.empty(),
            steward,
            Clock.systemUTC().instant(),
            d -> Future.succeededFuture())
        .await();

    Throwable again =
        register
            .decide(
                id,
                Set.of("housing-twice"),
                Optional.of("1"),
                steward,
                Clock.systemUTC().instant(),
                d -> Future.succeededFuture())
            .transform(Future::succeededFuture)
            .await()
            .cause();

    assertThat(((LinkageRefused) again).status()).isEqualTo(409);
    // No match on these demographics: the next sync neither links nor asks again.
    SyncReport next = run(sync(roster, new MemoryIndex(JENNIFER)), roster);
    assertThat(next.notTraced()).isEqualTo(1);
    assertThat(reviews(roster)).isEmpty();
  }

  @Test
  void decide_reviewOfAnotherOrganisationsSource_isNotFound() {
    ListRoster roster = new ListRoster("housing-other", "GHA01", 2).with("T-43", JEN_MOVED);
    run(sync(roster, new MemoryIndex(JENNIFER)), roster);
    UUID id = reviews(roster).get(0).id();

    Throwable refused =
        register
            .decide(
                id,
                Set.of("police-npf"),
                Optional.of("1"),
                new Steward("steward.bob", "npf-steward"),
                Clock.systemUTC().instant(),
                d -> Future.succeededFuture())
            .transform(Future::succeededFuture)
            .await()
            .cause();

    assertThat(((LinkageRefused) refused).status()).isEqualTo(404);
    assertThat(refused).hasMessage("no review with that id");
  }

  @Test
  void start_syncsEveryTracedSourceAtOnce_andStopEndsTheSchedule() throws Exception {
    ListRoster roster =
        new ListRoster("police-start", "NPF01", 2).with("P-1", JENNIFER.demographics());
    LinkageSync sync = sync(roster, new MemoryIndex(JENNIFER));

    sync.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (links(roster, JENNIFER.nhsNumber()).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    sync.stop().await();

    assertThat(links(roster, JENNIFER.nhsNumber())).hasSize(1);
    assertThat(register.summaries(List.of("police-start")).await().get(0).lastOutcome())
        .contains("succeeded");
  }
}
