package org.placeshare.fhir.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.placeshare.fhir.Fhir;

/**
 * {@link IndexBundle} reads a Patient as {@link IndexPatient} reads HAPI's model of it: the same
 * entry, or a refusal. Each case changes one thing in a good Patient. Where HAPI's reading let
 * something other than a refusal escape (a gender code it does not know leaves {@code getGender()}
 * null; an impossible date fails {@code LocalDate.parse}), the trace used to fail as a whole; now
 * that one Patient is refused, and so no other candidate is certain.
 */
class IndexBundleTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String GOOD =
      """
      {"resourceType":"Patient","id":"9991000003",
       "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9991000003"}],
       "name":[{"use":"official","family":"Marshall","given":["Ruth","Ann"]},
               {"use":"maiden","family":"Bainbridge","given":["Ruth"]}],
       "gender":"female","birthDate":"1979-09-23",
       "address":[{"use":"home","line":["12 Sea View"],"postalCode":"DH4 5RA",
                   "extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey",
                     "extension":[{"url":"type","valueCoding":{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-AddressKeyType","code":"UPRN"}},
                                  {"url":"value","valueString":"100012345678"}]}]},
                  {"use":"old","postalCode":"SR2 8HU"}]}
      """;

  /** One change each to the good Patient: {description, text to find, text to put instead}. */
  static List<String[]> changes() {
    return List.of(
        new String[] {"as it is", "", ""},
        new String[] {"no identifier", "\"identifier\"", "\"identifierX\""},
        new String[] {"NHS number with spaces", "\"9991000003\"}", "\"999 100 0003\"}"},
        new String[] {
          "system in capitals",
          "https://fhir.nhs.uk/Id/nhs-number",
          "HTTPS://FHIR.NHS.UK/ID/NHS-NUMBER/"
        },
        new String[] {
          "another system", "https://fhir.nhs.uk/Id/nhs-number", "https://example.org/id"
        },
        new String[] {"bad check digit", "\"9991000003\"}", "\"9991000004\"}"},
        new String[] {
          "two NHS numbers",
          "\"value\":\"9991000003\"}]",
          "\"value\":\"9991000003\"},{\"system\":\"https://fhir.nhs.uk/Id/nhs-number\",\"value\":\"9991000011\"}]"
        },
        new String[] {
          "identifier value a number", "\"value\":\"9991000003\"", "\"value\":9991000003"
        },
        new String[] {"no official name", "\"use\":\"official\",", ""},
        new String[] {"usual name", "\"use\":\"official\"", "\"use\":\"usual\""},
        new String[] {"only old names", "\"use\":\"official\"", "\"use\":\"old\""},
        new String[] {"unknown name use", "\"use\":\"official\"", "\"use\":\"Official\""},
        new String[] {"maiden name same as current", "\"Bainbridge\"", "\"Marshall\""},
        new String[] {"no family", "\"family\":\"Marshall\",", ""},
        new String[] {"empty family", "\"family\":\"Marshall\"", "\"family\":\"\""},
        new String[] {"family a number", "\"family\":\"Marshall\"", "\"family\":7"},
        new String[] {"no given", "\"given\":[\"Ruth\",\"Ann\"]", "\"given\":[]"},
        new String[] {
          "empty first given", "\"given\":[\"Ruth\",\"Ann\"]", "\"given\":[\"\",\"Ann\"]"
        },
        new String[] {"given not a list", "\"given\":[\"Ruth\",\"Ann\"]", "\"given\":\"Ruth\""},
        new String[] {"name not a list", "\"name\":[", "\"nameX\":["},
        new String[] {"accented name", "Marshall", "Marshäll"},
        new String[] {"name with a digit", "Marshall", "Marsh4ll"},
        new String[] {"year of birth only", "1979-09-23", "1979"},
        new String[] {"month of birth only", "1979-09-23", "1979-09"},
        new String[] {"no birth date", "\"birthDate\":\"1979-09-23\",", ""},
        new String[] {"unknown gender", "\"female\"", "\"unknown\""},
        new String[] {"no gender", "\"gender\":\"female\",", ""},
        new String[] {"no home address", "\"use\":\"home\",", ""},
        new String[] {"work address", "\"use\":\"home\"", "\"use\":\"work\""},
        new String[] {
          "home address ended", "\"use\":\"home\",", "\"period\":{\"end\":\"2020-01-01\"},"
        },
        new String[] {"old address in use", "\"use\":\"old\",", "\"use\":\"temp\","},
        new String[] {"no line", "\"line\":[\"12 Sea View\"],", ""},
        new String[] {"bad postcode", "DH4 5RA", "XYZ"},
        new String[] {"no postcode", "\"postalCode\":\"DH4 5RA\"", "\"city\":\"Durham\""},
        new String[] {"address key not a UPRN", "\"code\":\"UPRN\"", "\"code\":\"USRN\""},
        new String[] {"UPRN not digits", "100012345678", "1000-12345678"},
        new String[] {"UPRN as markdown", "\"valueString\"", "\"valueMarkdown\""},
        new String[] {"UPRN as code", "\"valueString\"", "\"valueCode\""},
        new String[] {"UPRN as integer", "\"valueString\":\"100012345678\"", "\"valueInteger\":12"},
        new String[] {"impossible birth date", "1979-09-23", "1979-02-30"},
        new String[] {"birth date with a space", "1979-09-23", " 1979-09-23"},
        new String[] {"birth date and time", "1979-09-23", "1979-09-23T10:00:00Z"},
        new String[] {"unknown gender code", "\"female\"", "\"Female\""},
        new String[] {"unknown address use", "\"use\":\"home\"", "\"use\":\"home \""},
        new String[] {
          "address ended on a non-date", "\"use\":\"home\",", "\"period\":{\"end\":\"soon\"},"
        },
        new String[] {"family a boolean", "\"family\":\"Marshall\"", "\"family\":true"},
        new String[] {"family padded", "\"family\":\"Marshall\"", "\"family\":\" Marshall \""},
        new String[] {
          "given null first", "\"given\":[\"Ruth\",\"Ann\"]", "\"given\":[null,\"Ann\"]"
        },
        new String[] {
          "name not a list",
          "\"name\":[{\"use\":\"official\",\"family\":\"Marshall\",\"given\":[\"Ruth\",\"Ann\"]},",
          "\"name\":{\"use\":\"official\",\"family\":\"Marshall\",\"given\":[\"Ruth\",\"Ann\"]},\"nameY\":["
        },
        new String[] {
          "two address key types",
          "{\"url\":\"value\"",
          "{\"url\":\"type\",\"valueCoding\":{\"code\":\"UPRN\"}},{\"url\":\"value\""
        },
        new String[] {"another extension", "Extension-UKCore-AddressKey", "Extension-Other"},
        new String[] {"address not a list", "\"address\":[", "\"addressX\":["});
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void patient_oneChangeToAGoodPatient_readsAsIndexPatientReadsHapisModel(
      String what, String from, String to) throws Exception {
    String json = from.isEmpty() ? GOOD : GOOD.replace(from, to);
    assertThat(json).as("the change applies").isNotEqualTo(from.isEmpty() ? null : GOOD);

    assertThat(byJson(json)).isEqualTo(byHapi(json));
  }

  @Test
  void read_bundleOfTheSyntheticIndex_givesWhatHapiAndIndexPatientGive() throws Exception {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    for (String[] change : changes()) {
      String json = change[1].isEmpty() ? GOOD : GOOD.replace(change[1], change[2]);
      if (!byHapi(json).equals("the answer fails")) {
        bundle.addEntry().setResource(Fhir.json().parseResource(Patient.class, json));
      }
    }
    bundle.addEntry().setResource(new OperationOutcome());
    String text = Fhir.encode(bundle);

    IndexBundle.Answer answer = IndexBundle.read(text.getBytes(StandardCharsets.UTF_8), 100);

    List<Object> expected = new ArrayList<>();
    int refused = 0;
    for (Bundle.BundleEntryComponent entry :
        Fhir.json().parseResource(Bundle.class, text).getEntry()) {
      Resource resource = entry.getResource();
      if (resource instanceof Patient patient) {
        try {
          expected.add(IndexPatient.read(patient));
        } catch (IllegalArgumentException e) {
          refused++;
        }
      }
    }
    assertThat(answer.entries()).isEqualTo(expected);
    assertThat(answer.refused()).isEqualTo(refused);
  }

  @Test
  void read_notABundle_isRefusedWhole() {
    for (String json :
        List.of(
            "not json",
            "[]",
            "{\"resourceType\":\"Patient\"}",
            "{\"resourceType\":\"Bundle\",\"entry\":{}}",
            "{\"resourceType\":\"Bundle\",\"entry\":[7]}",
            "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"x\"}}]}",
            // Whatever follows the Bundle (HAPI's reader refuses it too), and a key given twice.
            "{\"resourceType\":\"Bundle\"} {\"resourceType\":\"Bundle\"}",
            "{\"resourceType\":\"Bundle\"} garbage",
            "{\"resourceType\":\"Bundle\",\"entry\":[],\"entry\":[]}")) {
      assertThatThrownBy(() -> IndexBundle.read(json.getBytes(StandardCharsets.UTF_8), 50))
          .as(json)
          .isInstanceOf(IndexBundle.NotABundle.class);
    }
  }

  @Test
  void read_anEntryOfAnotherType_isCountedRefused_soItStillStandsInTheWayOfACertainMatch() {
    String json =
        "{\"resourceType\":\"Bundle\",\"entry\":["
            + "{\"resource\":{\"resourceType\":\"OperationOutcome\"}},"
            + "{\"resource\":{\"resourceType\":\"patient\",\"id\":\"twin\"}},"
            + "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\"}}]}";

    IndexBundle.Answer answer = IndexBundle.read(json.getBytes(StandardCharsets.UTF_8), 50);

    assertThat(answer.entries()).isEmpty();
    assertThat(answer.refused()).isEqualTo(2); // not the OperationOutcome of warnings
  }

  /**
   * The entry HAPI's model gives, "refused", or "the answer fails" for anything else: HAPI refused
   * the whole answer, or something escaped IndexPatient and failed the trace.
   */
  private static String byHapi(String json) {
    try {
      return "entry " + IndexPatient.read(Fhir.json().parseResource(Patient.class, json));
    } catch (IllegalArgumentException e) {
      return "refused";
    } catch (RuntimeException e) {
      return "the answer fails";
    }
  }

  private static String byJson(String json) throws Exception {
    JsonNode node = JSON.readTree(json);
    try {
      return "entry " + IndexBundle.patient(node);
    } catch (IllegalArgumentException e) {
      return "refused";
    } catch (IndexBundle.NotABundle e) {
      return "the answer fails";
    }
  }
}
