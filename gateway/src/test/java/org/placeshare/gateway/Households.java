package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.household.AddressKey;
import org.placeshare.gateway.household.FamilyTie;
import org.placeshare.gateway.household.Residence;
import org.placeshare.gateway.register.PatientRegister;
import org.placeshare.policy.NhsNumber;

/**
 * What the household tests share: a gateway with an agreement whose family clause releases other
 * members, residences, ties and opt-outs written into its registers, and {@code $household} answers
 * read back as a Bundle, its Group and the request's audit rows.
 */
final class Households {

  /** The council agreement with a family clause ({@code household, parent-child}). */
  static final String FAMILY_CLAUSE_AGREEMENT = "council-household-support.yaml";

  /** The source a residence comes from unless a test says otherwise. */
  static final String REGISTER_SOURCE = "test-register";

  private Households() {}

  /** The fixture's gateway with the council's family-clause agreement loaded besides its own. */
  static GatewayFixture startWithFamilyClause(Path dir) throws Exception {
    GatewayFixture fixture = GatewayFixture.start(dir, TestPostgres.freshDatabase());
    fixture.addAgreement(FAMILY_CLAUSE_AGREEMENT);
    return fixture;
  }

  /** {@code who} lives at {@code where} from one day to another (null: still), by the register. */
  static Residence lives(NhsNumber who, AddressKey where, String from, String to) {
    return lives(who, where, REGISTER_SOURCE, from, to);
  }

  /** {@code who} lives at {@code where} from one day to another (null: still), by a source. */
  static Residence lives(NhsNumber who, AddressKey where, String source, String from, String to) {
    return new Residence(
        who, where, source, LocalDate.parse(from), Optional.ofNullable(to).map(LocalDate::parse));
  }

  /** These residences in the gateway's household register, as of the fixture's clock. */
  static void record(GatewayFixture fixture, List<Residence> residences) {
    fixture.gateway.householdRegister().record(residences, GatewayFixture.CLOCK.instant()).await();
  }

  static void record(GatewayFixture fixture, Residence... residences) {
    record(fixture, List.of(residences));
  }

  /** These ties in the gateway's household register, as of the fixture's clock. */
  static void recordTies(GatewayFixture fixture, List<FamilyTie> ties) {
    fixture.gateway.householdRegister().recordTies(ties, GatewayFixture.CLOCK.instant()).await();
  }

  /** {@code parent} is a parent of {@code child}, stated by two sources: one alone makes no tie. */
  static void recordParent(GatewayFixture fixture, NhsNumber parent, NhsNumber child) {
    recordTies(
        fixture,
        List.of(
            new FamilyTie(parent, child, FamilyTie.Kind.PARENT, REGISTER_SOURCE),
            new FamilyTie(parent, child, FamilyTie.Kind.PARENT, "test-school")));
  }

  /** {@code who} has opted out (the national data opt-out), in the gateway's patient register. */
  static void optOut(GatewayFixture fixture, NhsNumber who) {
    fixture
        .register()
        .upsert(
            List.of(new PatientRegister.Entry(who, true, false, Optional.empty())),
            GatewayFixture.CLOCK.instant())
        .await();
  }

  /** {@code GET /fhir/Patient/{who}/$household} with this query ("" or "?date=...") and token. */
  static HttpResponse<String> household(
      GatewayFixture fixture, NhsNumber who, String query, String token) throws Exception {
    return fixture.get("/fhir/Patient/" + who + "/$household" + query, token);
  }

  /** The answer's Bundle, once it is asserted to be a 200. */
  static Bundle bundle(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Fhir.json().parseResource(Bundle.class, r.body());
  }

  /** The household's Group: a {@code $household} Bundle's first entry. */
  static Group group(Bundle b) {
    return (Group) b.getEntryFirstRep().getResource();
  }

  static <T extends Resource> List<T> all(Bundle b, Class<T> type) {
    return b.getEntry().stream()
        .map(Bundle.BundleEntryComponent::getResource)
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  /** Each audit row of one request: action, outcome, status and person. */
  static List<String> audited(GatewayFixture fixture, HttpResponse<String> r) {
    String request = r.headers().firstValue("X-Request-ID").orElseThrow();
    List<String> rows = new ArrayList<>();
    for (Row row :
        fixture
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT action, outcome, http_status, nhs_number FROM audit_event"
                    + " WHERE request_id = $1 ORDER BY action, nhs_number")
            .execute(Tuple.of(request))
            .await()) {
      rows.add(
          row.getString("action")
              + " "
              + row.getString("outcome")
              + " "
              + row.getInteger("http_status")
              + " "
              + row.getString("nhs_number"));
    }
    return rows;
  }

  /** The body with what differs between two identical answers taken out: ids, URLs, times. */
  static Object normalised(Object json) {
    if (json instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      for (String key : o.fieldNames()) {
        if (!Set.of("id", "fullUrl", "lastUpdated", "timestamp", "recorded").contains(key)) {
          out.put(key, normalised(o.getValue(key)));
        }
      }
      return out;
    }
    if (json instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(v -> out.add(normalised(v)));
      return out;
    }
    return json instanceof String s && s.startsWith("urn:uuid:") ? "urn:uuid:" : json;
  }
}
