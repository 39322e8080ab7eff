package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.SensitiveCategory;
import org.placeshare.policy.SensitiveCodes;

/**
 * What a source puts in a primitive's extension ({@code "_recordedDate": {"extension": [...]}}) is
 * checked as what it puts anywhere else: a sensitive code, another person's NHS number or
 * reference, a reference to a record not released, a URI of the source's server. Each reply is the
 * JSON a source sends, parsed by HAPI as the source fetch parses it.
 */
class PrimitiveExtensionsTest {

  private static final OdsCode RECIPIENT = ReleaseCorpus.RECIPIENT;
  private static final Instant NOW = ReleaseCorpus.NOW;
  private static final byte[] KEY = ReleaseCorpus.KEY;
  private static final NhsNumber ASKED = NhsNumber.parse("9990000018");

  /** A reference as written in FHIR JSON: the value of any {@code "reference"} member. */
  private static final Pattern REFERENCE = Pattern.compile("\"reference\"\\s*:\\s*\"([^\"]*)\"");

  private static final String HIV = "{\"system\":\"http://snomed.info/sct\",\"code\":\"86406008\"}";

  @Test
  void release_sensitiveCodeInAPrimitivesExtension_dropsTheRecord_asOnTheConditionItself() {
    String inPrimitive =
        condition("c1", "\"_recordedDate\":{\"extension\":[" + ext("valueCoding", HIV) + "]}");
    String onCondition = condition("c2", "\"extension\":[" + ext("valueCoding", HIV) + "]");
    for (boolean keyed : List.of(false, true)) {
      String json = released(reply(inPrimitive, onCondition), keyed).orElseThrow();
      assertThat(json).doesNotContain("86406008").doesNotContain("\"Condition\"");
    }
  }

  @Test
  void check_otherPersonsNhsNumberInAPrimitivesExtension_isStripped_asElsewhere() {
    String identifier =
        "{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"999 000 0026\"}";
    String record =
        condition(
            "c1", "\"_recordedDate\":{\"extension\":[" + ext("valueIdentifier", identifier) + "]}");
    SourceRecords.Found checked = (SourceRecords.Found) AboutThePerson.check(ASKED, found(record));
    assertThat(checked.resources()).hasSize(1);
    assertThat(Fhir.encode(checked.resources().get(0))).doesNotContain("999 000 0026");
    for (boolean keyed : List.of(false, true)) {
      assertThat(released(reply(record), keyed).orElseThrow()).doesNotContain("999 000 0026");
    }
  }

  @Test
  void check_referenceToAnotherPatientInAPrimitivesExtension_leavesTheRecordOut() {
    String record =
        condition(
            "c1",
            "\"_recordedDate\":{\"extension\":["
                + ext("valueReference", "{\"reference\":\"Patient/someone-else\"}")
                + "]}");
    SourceRecords.Found checked = (SourceRecords.Found) AboutThePerson.check(ASKED, found(record));
    assertThat(checked.resources()).isEmpty();
    assertThat(checked.notAboutThePerson()).isEqualTo(1);
  }

  @Test
  void release_referencesInAPrimitivesExtension_resolveOrAreRemoved_noSourceIdOrUrlLeaves() {
    String record =
        condition(
            "c1",
            "\"_recordedDate\":{\"extension\":["
                + ext("valueReference", "{\"reference\":\"Observation/obs-not-sent\"}")
                + ","
                + ext("valueReference", "{\"reference\":\"Condition/c-hiv-withheld\"}")
                + ","
                + ext(
                    "valueReference",
                    "{\"reference\":\"https://gp.internal/fhir/Encounter/enc-internal\"}")
                + ","
                + ext("valueReference", "{\"reference\":\"Condition/c-released\"}")
                + "]}");
    String withheld =
        "{\"resourceType\":\"Condition\",\"id\":\"c-hiv-withheld\","
            + "\"subject\":{\"reference\":\"Patient/p1\"},\"code\":{\"coding\":["
            + HIV
            + "]}}";
    String other = condition("c-released", "\"recordedDate\":\"2024-01-02\"");
    for (boolean keyed : List.of(false, true)) {
      String json = released(reply(record, withheld, other), keyed).orElseThrow();
      assertThat(json)
          .doesNotContain("obs-not-sent")
          .doesNotContain("c-hiv-withheld")
          .doesNotContain("gp.internal")
          .doesNotContain("enc-internal");
      Bundle bundle = Fhir.json().parseResource(Bundle.class, json);
      Set<String> fullUrls = new HashSet<>();
      bundle.getEntry().forEach(e -> fullUrls.add(e.getFullUrl()));
      Matcher m = REFERENCE.matcher(json);
      int references = 0;
      while (m.find()) {
        assertThat(fullUrls).as(m.group(1)).contains(m.group(1));
        references++;
      }
      // The subjects, the released record named in the extension, and Provenance's targets.
      assertThat(references).isGreaterThanOrEqualTo(5);
    }
  }

  @Test
  void release_internalAddressUriInAPrimitivesExtension_isDropped() {
    String record =
        condition(
            "c1",
            "\"_recordedDate\":{\"extension\":["
                + ext("valueUri", "\"http://gp.example:8080/fhir/Binary/scan-17\"")
                + "]}");
    for (boolean keyed : List.of(false, true)) {
      String json = released(reply(record), keyed).orElseThrow();
      assertThat(json).doesNotContain("gp.example:8080").doesNotContain("scan-17");
    }
  }

  private static String ext(String valueType, String value) {
    return "{\"url\":\"https://x.example/e\",\"" + valueType + "\":" + value + "}";
  }

  /** A Condition about the person, recorded, with a code that is not sensitive. */
  private static String condition(String id, String more) {
    return "{\"resourceType\":\"Condition\",\"id\":\""
        + id
        + "\",\"subject\":{\"reference\":\"Patient/p1\"},"
        + "\"code\":{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"44054006\"}]},"
        + "\"recordedDate\":\"2024-01-02\","
        + more
        + "}";
  }

  /** The source's searchset: its Patient for the person, then the records. */
  private static String reply(String... records) {
    StringBuilder json =
        new StringBuilder(
            "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
                + "{\"fullUrl\":\"http://gp.example:8080/fhir/Patient/p1\",\"resource\":"
                + "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"identifier\":[{\"system\":"
                + "\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"9990000018\"}]}}");
    for (String r : records) {
      json.append(",{\"resource\":").append(r).append('}');
    }
    return json.append("]}").toString();
  }

  private static SourceRecords.Found found(String... records) {
    return new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply(records)).found();
  }

  private static Optional<String> released(String reply, boolean keyed) {
    SourceRecords checked =
        AboutThePerson.check(ASKED, new ReleaseCorpus.Reply(ReleaseCorpus.GP, reply).found());
    List<SensitiveCodes.Entry> sensitive = new ArrayList<>();
    for (SensitiveCategory c : SensitiveCategory.values()) {
      sensitive.addAll(SensitiveCodes.bundled().codes(c));
    }
    Obligations obligations =
        new Obligations(
            Set.of("Patient", "Condition", "Observation", "Encounter"),
            List.of(),
            sensitive,
            SensitiveCodes.bundled().version(),
            Set.of(),
            Map.of(),
            keyed ? Optional.of("agreement-pseudonymised") : Optional.empty(),
            Optional.empty(),
            false);
    PersonView.Released released =
        PersonView.assemble(
            ASKED,
            RECIPIENT,
            List.of(checked),
            Map.of(ReleaseCorpus.GP.id(), new PersonView.Grant(obligations, "test@1#sha")),
            List.of(),
            keyed ? Optional.of(new Pseudonyms(KEY)) : Optional.empty(),
            NOW);
    return Optional.of(Fhir.encode(released.bundle()));
  }
}
