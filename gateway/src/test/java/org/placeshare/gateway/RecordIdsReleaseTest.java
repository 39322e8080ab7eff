package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.SigningKey;

/**
 * A source (a real HAPI {@link RestfulServer}) that answers with records the view could not name:
 * ids that are not FHIR ids, and two Conditions under one id. The view and its audit name each
 * record by its type and id, so what leaves is exactly what the audit names: the first of the
 * repeated id, and nothing without a FHIR id.
 */
class RecordIdsReleaseTest {

  static final String SOURCE = "record-ids-r9a";
  static final NhsNumber PERSON = NhsNumber.parse("9990000018");

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer upstream;

  @BeforeAll
  static void start() throws Exception {
    upstream = FhirSourceServer.serving(List.of(new Patients(), new Conditions()));
    String base = upstream.baseUrl().toString();
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Source> sources = new ArrayList<>(c.sources());
              sources.add(
                  new GatewayConfig.Source(
                      SOURCE, "R9A", base, Duration.ofSeconds(5), List.of("Patient", "Condition")));
              return GatewayFixture.withSources(c, sources);
            });
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void view_recordsWithoutAFhirIdOrUnderARepeatedId_leaveOnlyAsTheAuditNamesThem()
      throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    HttpResponse<String> r =
        fixture.everything(PERSON.toString(), clinician, "X-Emergency-Reason", "collapsed");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String json = r.body();

    assertThat(json).contains("kept-condition").contains("first-of-the-repeated-id");
    assertThat(json)
        .doesNotContain("second-of-the-repeated-id")
        .doesNotContain("id-with-a-space")
        .doesNotContain("id-too-long");
    assertThat(json)
        .contains(
            "source "
                + SOURCE
                + " (R9A) sent 2 records without a FHIR id; they are missing from"
                + " this view")
        .contains(
            "source "
                + SOURCE
                + " (R9A) sent 1 record with the id of another record of the same type; only the"
                + " first is in this view");

    JsonArray released = lastView().getJsonObject("released").getJsonArray(SOURCE);
    // The Patient in the view is the fixture's GP's, named in its own source's list.
    assertThat(released.getList()).containsExactly("Condition/kept", "Condition/repeated");
  }

  private static JsonObject lastView() {
    JsonObject last = null;
    for (Row row : fixture.auditFor(PERSON)) {
      JsonObject detail = (JsonObject) row.getValue("detail");
      if (detail.containsKey("released") && detail.getJsonObject("released").containsKey(SOURCE)) {
        last = detail;
      }
    }
    assertThat(last).as("an audited view").isNotNull();
    return last;
  }

  static final class Patients implements IResourceProvider {
    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return Patient.class;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(@OptionalParam(name = "identifier") TokenParam identifier) {
      if (identifier == null || !PERSON.toString().equals(identifier.getValue())) {
        return List.of();
      }
      Patient p = new Patient();
      p.setId("rid-p");
      p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(PERSON.toString());
      return List.of(p);
    }
  }

  static final class Conditions implements IResourceProvider {
    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return Condition.class;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(@OptionalParam(name = "patient") ReferenceParam ignored) {
      return List.of(
          condition("kept", "kept-condition"),
          condition("repeated", "first-of-the-repeated-id"),
          condition("repeated", "second-of-the-repeated-id"),
          condition("a b", "id-with-a-space"),
          condition("x".repeat(65), "id-too-long"));
    }

    private static Condition condition(String id, String text) {
      Condition c = new Condition();
      c.setId(id);
      c.setSubject(new Reference("Patient/rid-p"));
      c.getCode().setText(text);
      return c;
    }
  }
}
