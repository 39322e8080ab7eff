package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkMethod;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.Matcher;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.linkage.LinkageRegister;
import org.placeshare.gateway.linkage.ReviewCandidate;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * The data steward's API over HTTP on the real gateway, the register seeded through its own
 * methods: a steward of the council (E08000026) sees and decides the council's reviews and links
 * only; the acute trust's steward gets 404 for them, as for ones that do not exist; an IG lead may
 * read and not decide; an analyst may do neither. Each decision and undo is an audit event naming
 * the person.
 */
class LinkageStewardApiTest {

  static final String COUNCIL_STEWARD = "council-steward";
  static final String TRUST_STEWARD = "trust-steward";
  static final String COUNCIL_SOURCE = "council-asc";
  static final String TRUST_SOURCE = "acute-r9a";

  static final LocalDate BORN = LocalDate.of(1984, 3, 9);
  static final IndexEntry JENNIFER =
      new IndexEntry(
          NhsNumber.parse("9990000018"),
          Demographics.of("Armstrong", "Jennifer", BORN, "female", "SR2 8JE"));
  static final IndexEntry JANE =
      new IndexEntry(
          NhsNumber.parse("9990000026"),
          Demographics.of("Armstrong", "Jane", BORN, "female", "SR5 1AB"));
  static final NhsNumber NOT_A_CANDIDATE = NhsNumber.parse("9990000034");
  static final Demographics MOVED =
      Demographics.of("Armstrong", "Jennifer", BORN, "female", "NE1 4XF");

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static LinkageRegister register;
  static final SigningKey councilStewardKey = SigningKey.generate();
  static final SigningKey trustStewardKey = SigningKey.generate();

  @BeforeAll
  static void start() throws Exception {
    councilStewardKey.writePem(dir.resolve("cs.key.pem"), dir.resolve("cs.pub.pem"));
    trustStewardKey.writePem(dir.resolve("ts.key.pem"), dir.resolve("ts.pub.pem"));
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Client> clients = new ArrayList<>(c.clients());
              clients.add(
                  new GatewayConfig.Client(
                      COUNCIL_STEWARD,
                      "E08000026",
                      dir.resolve("cs.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("data-steward")));
              clients.add(
                  new GatewayConfig.Client(
                      TRUST_STEWARD,
                      "R9A",
                      dir.resolve("ts.pub.pem"),
                      Set.of("HOPERAT"),
                      Set.of("data-steward")));
              return GatewayFixture.withClients(c, clients);
            });
    register = new LinkageRegister(fixture.gateway.database().pool());
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  static String councilSteward() throws Exception {
    return token(COUNCIL_STEWARD, councilStewardKey, "steward.cat");
  }

  static String trustSteward() throws Exception {
    return token(TRUST_STEWARD, trustStewardKey, "steward.tom");
  }

  static String token(String client, SigningKey key, String user) throws Exception {
    HttpResponse<String> r =
        fixture.tokenRequest(fixture.assertion(client, key, user, "data-steward", "HOPERAT"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getString("access_token");
  }

  /** A review of a council record that moved: Jennifer probable, Jane possible. */
  static UUID councilReview(String localId) {
    List<Candidate> ranked = Matcher.rank(MOVED, List.of(JENNIFER, JANE));
    return register
        .openReview(
            COUNCIL_SOURCE,
            localId,
            MOVED,
            ranked.stream().map(ReviewCandidate::of).toList(),
            "probable match",
            false,
            GatewayFixture.CLOCK.instant())
        .await();
  }

  static void certainLink(String source, String localId) {
    Candidate certain = Matcher.rank(JENNIFER.demographics(), List.of(JENNIFER)).get(0);
    assertThat(
            register
                .linkAutomatically(
                    source,
                    localId,
                    JENNIFER.demographics(),
                    certain,
                    GatewayFixture.CLOCK.instant(),
                    () -> Future.succeededFuture())
                .await())
        .isTrue();
  }

  static List<String> audit(String action, NhsNumber nhs) {
    List<String> found = new ArrayList<>();
    for (Row r :
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT client_id, http_status, detail->>'detail' FROM audit_event WHERE action ="
                    + " $1 AND nhs_number = $2 ORDER BY seq")
            .execute(Tuple.of(action, nhs.toString()))
            .await()) {
      found.add(r.getString(0) + " " + r.getInteger(1) + " " + r.getString(2));
    }
    return found;
  }

  static String issue(HttpResponse<String> r) {
    return new JsonObject(r.body()).getJsonArray("issue").getJsonObject(0).getString("diagnostics");
  }

  @Test
  void reviews_steward_seesCandidatesByHandleGradeAndLevels_neverTheirNhsNumbers()
      throws Exception {
    UUID id = councilReview("C-10");

    HttpResponse<String> r =
        fixture.get("/linkage/reviews?source=" + COUNCIL_SOURCE, councilSteward());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonObject review =
        new JsonObject(r.body())
            .getJsonArray("reviews").stream()
                .map(JsonObject.class::cast)
                .filter(j -> j.getString("id").equals(id.toString()))
                .findFirst()
                .orElseThrow();
    assertThat(review.getJsonObject("demographics").getString("postcode")).isEqualTo("NE1 4XF");
    JsonArray candidates = review.getJsonArray("candidates");
    JsonObject best = candidates.getJsonObject(0);
    assertThat(best.getString("candidate")).isEqualTo("1");
    assertThat(best.getString("grade")).isEqualTo("probable");
    assertThat(best.getJsonObject("levels").getString("postcode")).isEqualTo("disagree");
    assertThat(candidates.getJsonObject(1).getString("candidate")).isEqualTo("2");
    assertThat(candidates.getJsonObject(1).getString("grade")).isEqualTo("possible");
    // Neither the candidates' NHS numbers nor the index's own demographics are shown: a handle,
    // and what agreed and how well. The register keeps the numbers.
    assertThat(best.fieldNames()).containsExactlyInAnyOrder("candidate", "grade", "levels");
    assertThat(r.body())
        .doesNotContain(JENNIFER.nhsNumber().toString())
        .doesNotContain(JANE.nhsNumber().toString())
        .doesNotContain("SR2 8JE")
        .doesNotContain("JANE\"");
    assertThat(register.review(id).await().orElseThrow().candidate("1").orElseThrow().nhsNumber())
        .isEqualTo(JENNIFER.nhsNumber());
  }

  @Test
  void decide_link_recordsTheStewardsNameAndIsAudited() throws Exception {
    UUID id = councilReview("C-11");

    HttpResponse<String> r =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"candidate\":\"1\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getJsonObject("link").getString("reviewer"))
        .isEqualTo("steward.cat via council-steward");
    assertThat(r.body()).doesNotContain(JENNIFER.nhsNumber().toString());
    List<Link> links = register.linksTo(COUNCIL_SOURCE, JENNIFER.nhsNumber()).await();
    assertThat(links)
        .anySatisfy(
            l -> {
              assertThat(l.localId()).isEqualTo("C-11");
              assertThat(l.method()).isEqualTo(LinkMethod.REVIEWED);
              assertThat(l.reviewer()).contains("steward.cat via council-steward");
            });
    assertThat(audit("link-review", JENNIFER.nhsNumber()))
        .anyMatch(
            e ->
                e.startsWith(COUNCIL_STEWARD + " 200 review " + id)
                    && e.contains("record C-11 decided: link to " + JENNIFER.nhsNumber()));
    // A second decision is a conflict.
    HttpResponse<String> again =
        fixture.post("/linkage/reviews/" + id, councilSteward(), "{\"decision\":\"no-match\"}");
    assertThat(again.statusCode()).isEqualTo(409);
  }

  @Test
  void decide_handleNotACandidate_isRefused() throws Exception {
    UUID id = councilReview("C-12");

    HttpResponse<String> r =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"candidate\":\"3\"}");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(issue(r)).isEqualTo("candidate: expected one of the review's candidates, 1 to 2");
    assertThat(register.link(COUNCIL_SOURCE, "C-12").await()).isEmpty();
    assertThat(register.review(id).await().orElseThrow().open()).isTrue();
  }

  @Test
  void decide_byNhsNumber_isRefusedWithA400NamingTheHandle() throws Exception {
    UUID id = councilReview("C-14");

    HttpResponse<String> byNumber =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"nhsNumber\":\"" + JENNIFER.nhsNumber() + "\"}");
    HttpResponse<String> notACandidate =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"nhsNumber\":\"" + NOT_A_CANDIDATE + "\"}");

    assertThat(byNumber.statusCode()).as(byNumber.body()).isEqualTo(400);
    assertThat(issue(byNumber))
        .isEqualTo(
            "nhsNumber: a decision names the review's candidate by its handle"
                + " (\"candidate\": \"1\"), never an NHS number");
    // Nor does guessing a number tell whether it is a candidate: the same answer.
    assertThat(notACandidate.statusCode()).isEqualTo(400);
    assertThat(issue(notACandidate)).isEqualTo(issue(byNumber));
    assertThat(register.link(COUNCIL_SOURCE, "C-14").await()).isEmpty();
    assertThat(register.review(id).await().orElseThrow().open()).isTrue();
  }

  @Test
  void decide_linkAPossibleCandidate_isRefusedAndLinksNothing() throws Exception {
    UUID id = councilReview("C-15");

    HttpResponse<String> r =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"candidate\":\"2\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(issue(r))
        .isEqualTo(
            "candidate: a possible match is never linked; decide no-match, or correct the record"
                + " in the agency's system so that it traces again");
    assertThat(register.link(COUNCIL_SOURCE, "C-15").await()).isEmpty();
    assertThat(register.linksTo(COUNCIL_SOURCE, JANE.nhsNumber()).await())
        .noneMatch(l -> l.localId().equals("C-15"));
    assertThat(register.review(id).await().orElseThrow().open()).isTrue();
  }

  @Test
  void decide_noMatchOnARecheckedLink_isAuditedUnderThePersonItUnlinks() throws Exception {
    certainLink(COUNCIL_SOURCE, "C-16");
    // The record's demographics changed: its link to Jennifer is re-checked, awaiting the steward.
    UUID id =
        register
            .openReview(
                COUNCIL_SOURCE,
                "C-16",
                MOVED,
                Matcher.rank(MOVED, List.of(JENNIFER, JANE)).stream()
                    .map(ReviewCandidate::of)
                    .toList(),
                "its demographics changed",
                true,
                GatewayFixture.CLOCK.instant())
            .await();

    HttpResponse<String> r =
        fixture.post("/linkage/reviews/" + id, councilSteward(), "{\"decision\":\"no-match\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(register.link(COUNCIL_SOURCE, "C-16").await().orElseThrow().status().code())
        .isEqualTo("undone");
    assertThat(audit("link-review", JENNIFER.nhsNumber()))
        .anyMatch(
            e ->
                e.startsWith(COUNCIL_STEWARD + " 200 review " + id)
                    && e.endsWith(
                        "record C-16 decided: no match; not linked; its link to "
                            + JENNIFER.nhsNumber()
                            + " undone"));
  }

  @Test
  void decide_linkToAnotherPersonThanTheRecheckedLink_isAuditedUnderBoth() throws Exception {
    certainLink(COUNCIL_SOURCE, "C-17");
    UUID id =
        register
            .openReview(
                COUNCIL_SOURCE,
                "C-17",
                MOVED,
                List.of(
                    new ReviewCandidate(
                        JANE.nhsNumber(), 22.5, MatchGrade.PROBABLE, Map.of("postcode", "EXACT"))),
                "traced certainly to another NHS number than its link",
                true,
                GatewayFixture.CLOCK.instant())
            .await();

    HttpResponse<String> r =
        fixture.post(
            "/linkage/reviews/" + id,
            councilSteward(),
            "{\"decision\":\"link\",\"candidate\":\"1\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(register.linksTo(COUNCIL_SOURCE, JANE.nhsNumber()).await())
        .anyMatch(l -> l.localId().equals("C-17"));
    assertThat(audit("link-review", JANE.nhsNumber()))
        .anyMatch(
            e ->
                e.startsWith(COUNCIL_STEWARD + " 200 review " + id)
                    && e.contains("record C-17 decided: link to " + JANE.nhsNumber()));
    assertThat(audit("link-review", JENNIFER.nhsNumber()))
        .anyMatch(
            e ->
                e.startsWith(COUNCIL_STEWARD + " 200 review " + id)
                    && e.endsWith("its link to " + JENNIFER.nhsNumber() + " undone"));
  }

  @Test
  void decide_reviewOfAnotherOrganisation_isNotFoundAsAMissingOneIs() throws Exception {
    UUID id = councilReview("C-13");

    HttpResponse<String> theirs =
        fixture.post(
            "/linkage/reviews/" + id,
            trustSteward(),
            "{\"decision\":\"link\",\"candidate\":\"1\"}");
    HttpResponse<String> missing =
        fixture.post(
            "/linkage/reviews/" + UUID.randomUUID(),
            trustSteward(),
            "{\"decision\":\"link\",\"candidate\":\"1\"}");

    assertThat(theirs.statusCode()).isEqualTo(404);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(issue(theirs)).isEqualTo(issue(missing));
    assertThat(register.review(id).await().orElseThrow().open()).isTrue();
    // Nor does the other steward's queue or link listing show the council's.
    HttpResponse<String> queue = fixture.get("/linkage/reviews", trustSteward());
    assertThat(queue.statusCode()).isEqualTo(200);
    assertThat(queue.body()).doesNotContain(id.toString());
    assertThat(
            fixture.get("/linkage/reviews?source=" + COUNCIL_SOURCE, trustSteward()).statusCode())
        .isEqualTo(404);
    assertThat(fixture.get("/linkage/links?source=" + COUNCIL_SOURCE, trustSteward()).statusCode())
        .isEqualTo(404);
  }

  @Test
  void undo_linkLeavesLinksToAndIsAuditedWithItsReason() throws Exception {
    certainLink(COUNCIL_SOURCE, "C-20");

    HttpResponse<String> r =
        fixture.post(
            "/linkage/links/" + COUNCIL_SOURCE + "/C-20/undo",
            councilSteward(),
            "{\"reason\":\"a namesake: different person on checking the file\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("status")).isEqualTo("undone");
    assertThat(r.body()).doesNotContain(JENNIFER.nhsNumber().toString());
    assertThat(register.linksTo(COUNCIL_SOURCE, JENNIFER.nhsNumber()).await())
        .noneMatch(l -> l.localId().equals("C-20"));
    assertThat(audit("link-undo", JENNIFER.nhsNumber()))
        .anyMatch(
            e ->
                e.startsWith(COUNCIL_STEWARD + " 200 ")
                    && e.endsWith(
                        "record C-20 link to "
                            + JENNIFER.nhsNumber()
                            + " undone: a namesake: different person on checking the file"));
    HttpResponse<String> again =
        fixture.post(
            "/linkage/links/" + COUNCIL_SOURCE + "/C-20/undo",
            councilSteward(),
            "{\"reason\":\"again\"}");
    assertThat(again.statusCode()).isEqualTo(409);
  }

  @Test
  void undo_withoutAReason_isRefused() throws Exception {
    certainLink(COUNCIL_SOURCE, "C-21");

    HttpResponse<String> none =
        fixture.post("/linkage/links/" + COUNCIL_SOURCE + "/C-21/undo", councilSteward(), "{}");
    HttpResponse<String> tooLong =
        fixture.post(
            "/linkage/links/" + COUNCIL_SOURCE + "/C-21/undo",
            councilSteward(),
            new JsonObject().put("reason", "x".repeat(501)).encode());

    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(issue(none)).isEqualTo("reason: expected a value, got nothing");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(register.link(COUNCIL_SOURCE, "C-21").await().orElseThrow().live()).isTrue();
  }

  @Test
  void undo_linkOfAnotherOrganisation_isNotFound() throws Exception {
    certainLink(COUNCIL_SOURCE, "C-22");

    HttpResponse<String> r =
        fixture.post(
            "/linkage/links/" + COUNCIL_SOURCE + "/C-22/undo",
            trustSteward(),
            "{\"reason\":\"not ours\"}");

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(register.link(COUNCIL_SOURCE, "C-22").await().orElseThrow().live()).isTrue();
  }

  @Test
  void links_stewardReadsOwnWithoutNhsNumbers_igLeadReadsAllWithThem_butMayNotDecide()
      throws Exception {
    certainLink(TRUST_SOURCE, "A-1");
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig.lead", "ig-lead", "HOPERAT");

    HttpResponse<String> own =
        fixture.get("/linkage/links?source=" + TRUST_SOURCE + "&localId=A-1", trustSteward());
    HttpResponse<String> byIg = fixture.get("/linkage/links?source=" + TRUST_SOURCE, ig);
    HttpResponse<String> undoByIg =
        fixture.post("/linkage/links/" + TRUST_SOURCE + "/A-1/undo", ig, "{\"reason\":\"no\"}");

    assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
    JsonObject link = new JsonObject(own.body()).getJsonArray("links").getJsonObject(0);
    assertThat(link.getString("method")).isEqualTo("automatic");
    assertThat(link.getString("status")).isEqualTo("linked");
    assertThat(link.getString("grade")).isEqualTo("certain");
    assertThat(link.getString("linkedAt")).isNotNull();
    // The steward's link names no one: the register keeps the NHS number.
    assertThat(link.containsKey("nhsNumber")).isFalse();
    assertThat(own.body()).doesNotContain(JENNIFER.nhsNumber().toString());
    assertThat(byIg.statusCode()).isEqualTo(200);
    assertThat(byIg.body()).contains("A-1");
    JsonObject seenByIg =
        new JsonObject(byIg.body())
            .getJsonArray("links").stream()
                .map(JsonObject.class::cast)
                .filter(l -> l.getString("localId").equals("A-1"))
                .findFirst()
                .orElseThrow();
    assertThat(seenByIg.getString("nhsNumber")).isEqualTo(JENNIFER.nhsNumber().toString());
    assertThat(undoByIg.statusCode()).isEqualTo(403);
    assertThat(register.link(TRUST_SOURCE, "A-1").await().orElseThrow().live()).isTrue();
  }

  @Test
  void linkage_analyst_isForbidden() throws Exception {
    String analyst =
        fixture.token(GatewayFixture.COUNCIL_CLIENT, "analyst.1", "analyst", "HOPERAT");

    HttpResponse<String> r = fixture.get("/linkage/reviews", analyst);

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).contains("fhir+json");
  }

  @Test
  void decide_bodyNotStrict_isRefused() throws Exception {
    UUID id = councilReview("C-30");
    String token = councilSteward();

    HttpResponse<String> unknownKey =
        fixture.post("/linkage/reviews/" + id, token, "{\"decision\":\"no-match\",\"why\":\"x\"}");
    HttpResponse<String> badDecision =
        fixture.post("/linkage/reviews/" + id, token, "{\"decision\":\"maybe\"}");
    HttpResponse<String> notJson = fixture.post("/linkage/reviews/" + id, token, "[1]");
    HttpResponse<String> badId = fixture.post("/linkage/reviews/nope", token, "{}");
    HttpResponse<String> tooBig =
        fixture.post(
            "/linkage/reviews/" + id,
            token,
            new JsonObject().put("decision", "x".repeat(5000)).encode());

    assertThat(unknownKey.statusCode()).isEqualTo(400);
    assertThat(issue(unknownKey))
        .isEqualTo("why: unknown key, expected one of candidate, decision");
    assertThat(badDecision.statusCode()).isEqualTo(400);
    assertThat(issue(badDecision)).isEqualTo("decision: expected link or no-match");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(register.review(id).await().orElseThrow().open()).isTrue();
  }

  @Test
  void decide_noMatch_closesTheReviewUnlinked() throws Exception {
    UUID id = councilReview("C-31");

    HttpResponse<String> r =
        fixture.post("/linkage/reviews/" + id, councilSteward(), "{\"decision\":\"no-match\"}");

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("outcome")).isEqualTo("no-match");
    assertThat(register.link(COUNCIL_SOURCE, "C-31").await()).isEmpty();
    assertThat(register.review(id).await().orElseThrow().decided().orElseThrow().by())
        .hasValueSatisfying(s -> assertThat(s.user()).isEqualTo("steward.cat"));
  }

  @Test
  void sync_sourceNotTraced_isNotFound_andSourcesListsOnlyTracedOnes() throws Exception {
    String token = councilSteward();

    HttpResponse<String> sync =
        fixture.post("/linkage/sources/" + COUNCIL_SOURCE + "/sync", token, "");
    HttpResponse<String> sources = fixture.get("/linkage/sources", token);
    HttpResponse<String> unknownParam = fixture.get("/linkage/sources?all=1", token);

    assertThat(sync.statusCode()).isEqualTo(404);
    assertThat(sources.statusCode()).isEqualTo(200);
    // The fixture's sources are FHIR servers, none traced.
    assertThat(new JsonObject(sources.body()).getJsonArray("sources")).isEmpty();
    assertThat(unknownParam.statusCode()).isEqualTo(400);
  }
}
