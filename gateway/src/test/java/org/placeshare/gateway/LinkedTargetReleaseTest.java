package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
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
 * A hostile source (a real HAPI {@link RestfulServer}) whose Condition search reply carries, next
 * to the person's Condition, an entry that is no record of the search: another person's Patient
 * under the full URL {@code Encounter/e3} and a local id ({@code #y}). HAPI's parser links the
 * Condition's {@code encounter} reference ({@code Encounter/e3}) to that entry by its full URL. The
 * view keeps the reference, as it names the source's released Encounter (its own search), and the
 * link went with it: HAPI's encoder then contained the linked Patient in the released Condition.
 */
class LinkedTargetReleaseTest {

  static final String SOURCE = "linked-r9a";
  static final NhsNumber PERSON = NhsNumber.parse("9990000018");
  static final NhsNumber SOMEONE_ELSE = NhsNumber.parse("9990000026");
  static final String MARKER = "MARKER-someone-else-linked-by-full-url";

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static FhirSourceServer upstream;

  @BeforeAll
  static void start() throws Exception {
    upstream =
        FhirSourceServer.serving(
            List.of(new Patients(), new Conditions(), new Encounters()), new StrayEntry());
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
                      SOURCE,
                      "R9A",
                      base,
                      Duration.ofSeconds(5),
                      List.of("Patient", "Condition", "Encounter")));
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
  void view_json_referenceLinkedToAnotherPersonByFullUrl_releasesNothingOfThem() throws Exception {
    String json = view("json");
    assertThat(json).contains("e3-released-encounter");
    assertThat(json).doesNotContain(MARKER).doesNotContain(SOMEONE_ELSE.toString());
  }

  @Test
  void view_xml_referenceLinkedToAnotherPersonByFullUrl_releasesNothingOfThem() throws Exception {
    String xml = view("xml");
    assertThat(xml).contains("e3-released-encounter");
    assertThat(xml).doesNotContain(MARKER).doesNotContain(SOMEONE_ELSE.toString());
  }

  private static String view(String format) throws Exception {
    String clinician = fixture.token(GatewayFixture.AE_CLIENT, "clinician", "ETREAT");
    HttpResponse<String> r =
        fixture.everything(
            PERSON + "?_format=" + format, clinician, "X-Emergency-Reason", "collapsed");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
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
      p.setId("lt-p");
      p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(PERSON.toString());
      p.addName().setFamily("Linked");
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
      Condition c = new Condition();
      c.setId("c1");
      c.setSubject(new Reference("Patient/lt-p"));
      c.getCode().addCoding().setSystem("http://snomed.info/sct").setCode("38341003");
      c.setEncounter(new Reference("Encounter/e3"));
      return List.of(c);
    }
  }

  static final class Encounters implements IResourceProvider {
    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return Encounter.class;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(@OptionalParam(name = "patient") ReferenceParam ignored) {
      Encounter e = new Encounter();
      e.setId("e3");
      e.setStatus(Encounter.EncounterStatus.FINISHED);
      e.setSubject(new Reference("Patient/lt-p"));
      e.addType().setText("e3-released-encounter");
      return List.of(e);
    }
  }

  /** The Condition search's reply gains an entry: another person, under Encounter/e3. */
  @Interceptor
  static final class StrayEntry {
    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public boolean outgoing(RequestDetails request, ResponseDetails response) {
      if ("Condition".equals(request.getResourceName())
          && response.getResponseResource() instanceof Bundle bundle) {
        Patient other = new Patient();
        other.setId("#y");
        other.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(SOMEONE_ELSE.toString());
        other.addName().setFamily(MARKER);
        bundle.addEntry().setFullUrl("Encounter/e3").setResource(other);
      }
      return true;
    }
  }
}
