package org.placeshare.fhir.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.ReferenceIndexServer.Entry;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;
import org.placeshare.policy.NhsNumber;

/** The synthetic reference index over HTTP: PDS-style exact and fuzzy search, and its refusals. */
class ReferenceIndexServerTest {

  private static final NhsNumber JANE = NhsNumber.withCheckDigit("999200000").orElseThrow();
  private static final NhsNumber TOM = NhsNumber.withCheckDigit("999200001").orElseThrow();
  private static final NhsNumber AMY = NhsNumber.withCheckDigit("999200002").orElseThrow();

  private static ReferenceIndexServer server;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server =
        ReferenceIndexServer.startWith(
            0,
            List.of(
                new Entry(
                    new IndexPerson(
                        JANE,
                        "Robson",
                        "Jane",
                        List.of("Charlton"),
                        LocalDate.of(1984, 3, 7),
                        "female",
                        "SR1 3AB",
                        List.of("NE37 2XY"),
                        "12 Hylton Road"),
                    Optional.of("100012345678"),
                    Optional.empty()),
                new Entry(
                    new IndexPerson(
                        TOM,
                        "Turnbull",
                        "Tom",
                        List.of(),
                        LocalDate.of(1950, 11, 2),
                        "male",
                        "SR4 7QP",
                        List.of(),
                        null),
                    Optional.empty(),
                    Optional.of(LocalDate.of(2024, 5, 1))),
                Entry.of(
                    new IndexPerson(
                        AMY,
                        "Robson",
                        "Amy",
                        List.of(),
                        LocalDate.of(1990, 1, 1),
                        "female",
                        "SR1 3AB",
                        List.of(),
                        null))));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void exactSearch_byPreviousFamilyName_findsThePersonWithTheirHistory() throws Exception {
    Bundle bundle = search("family=Charlton&birthdate=1984-03-07&given=jane");

    assertThat(bundle.getEntry()).hasSize(1);
    Patient jane = (Patient) bundle.getEntryFirstRep().getResource();
    assertThat(jane.getIdentifierFirstRep().getSystem())
        .isEqualTo("https://fhir.nhs.uk/Id/nhs-number");
    assertThat(jane.getIdentifierFirstRep().getValue()).isEqualTo(JANE.toString());
    assertThat(jane.getName())
        .extracting(HumanName::getUse, HumanName::getFamily)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(HumanName.NameUse.OFFICIAL, "Robson"),
            org.assertj.core.groups.Tuple.tuple(HumanName.NameUse.OLD, "Charlton"));
    assertThat(jane.getAddress())
        .extracting(Address::getUse, Address::getPostalCode)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(Address.AddressUse.HOME, "SR1 3AB"),
            org.assertj.core.groups.Tuple.tuple(Address.AddressUse.OLD, "NE37 2XY"));
    Extension key =
        jane.getAddressFirstRep().getExtensionByUrl(ReferencePatients.ADDRESS_KEY_EXTENSION);
    assertThat(key.getExtensionByUrl("value").getValue().primitiveValue())
        .isEqualTo("100012345678");
  }

  @Test
  void exactSearch_aFieldDisagrees_findsNoOne() throws Exception {
    assertThat(search("family=Robson&birthdate=1984-03-08").getEntry()).isEmpty();
  }

  @Test
  void fuzzySearch_swappedDayAndMonthAndMisspeltName_findsThePersonWithAScore() throws Exception {
    Bundle bundle = search("family=Robsen&given=Jane&birthdate=1984-07-03&_fuzzy-match=true");

    assertThat(bundle.getEntry()).isNotEmpty();
    Bundle.BundleEntryComponent best = bundle.getEntryFirstRep();
    assertThat(best.getResource().getIdElement().getIdPart()).isEqualTo(JANE.toString());
    assertThat(best.getSearch().getScore().doubleValue()).isBetween(0.0, 1.0);
  }

  @Test
  void fuzzySearch_samePostcodeAndInitial_findsThePersonWhateverTheDate() throws Exception {
    Bundle bundle =
        search(
            "family=Robsn&given=J&birthdate=1985-04-09&address-postcode=ne372xy&_fuzzy-match=true");

    assertThat(bundle.getEntry())
        .extracting(e -> e.getResource().getIdElement().getIdPart())
        .containsExactly(JANE.toString());
  }

  @Test
  void patient_whoHasDied_carriesTheDate() throws Exception {
    Patient tom =
        (Patient) search("family=Turnbull&birthdate=1950-11-02").getEntryFirstRep().getResource();
    assertThat(tom.hasDeceasedDateTimeType()).isTrue();
  }

  @Test
  void search_withoutBirthdate_isA400OperationOutcome() throws Exception {
    HttpResponse<String> response = get("family=Robson");
    assertThat(response.statusCode()).isEqualTo(400);
    OperationOutcome outcome =
        SyntheticRecords.FHIR
            .newJsonParser()
            .parseResource(OperationOutcome.class, response.body());
    assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("family and birthdate");
  }

  @Test
  void search_maxResultsOverTheCap_isA400() throws Exception {
    assertThat(get("family=Robson&birthdate=1984-03-07&_max-results=51").statusCode())
        .isEqualTo(400);
  }

  @Test
  void search_unknownParameter_isA400() throws Exception {
    assertThat(get("family=Robson&birthdate=1984-03-07&name=x").statusCode()).isEqualTo(400);
  }

  private static Bundle search(String query) throws Exception {
    HttpResponse<String> response = get(query);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return SyntheticRecords.FHIR.newJsonParser().parseResource(Bundle.class, response.body());
  }

  private static HttpResponse<String> get(String query) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(server.baseUrl() + "/Patient?" + query)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
