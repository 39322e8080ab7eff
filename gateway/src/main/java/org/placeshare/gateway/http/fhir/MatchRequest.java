package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.gateway.http.edge.GatewayException;

/**
 * The input of {@code Patient/$match} (FHIR R4, <a
 * href="https://hl7.org/fhir/R4/patient-operation-match.html">patient-operation-match</a>), read
 * strictly: a {@code Parameters} with {@code resource} (a Patient), {@code onlyCertainMatches} and
 * {@code count}, or a bare Patient. The Patient must have a family and a given name and a full
 * birth date, no identifier (tracing is by demographics), and values {@link Demographics} accepts.
 * The name and address used are the official (or first current) ones; they, the birth date and the
 * gender are what the answer may echo back.
 */
record MatchRequest(
    HumanName name,
    Optional<Address> address,
    Patient sent,
    Demographics demographics,
    boolean onlyCertainMatches,
    int count) {

  /** Candidates returned when the caller does not say. */
  static final int DEFAULT_COUNT = 3;

  /** Most candidates one $match returns. */
  static final int MAX_COUNT = 10;

  private static final Set<String> PARAMETERS = Set.of("resource", "onlyCertainMatches", "count");

  static MatchRequest parse(String body) {
    IBaseResource resource;
    try {
      IParser parser = Fhir.json().setParserErrorHandler(new StrictErrorHandler());
      resource = parser.parseResource(body);
    } catch (DataFormatException | ClassCastException | IllegalArgumentException e) {
      throw invalid("expected a FHIR R4 Parameters or Patient resource in JSON");
    }
    if (resource instanceof Patient patient) {
      return of(patient, false, DEFAULT_COUNT);
    }
    if (!(resource instanceof Parameters parameters)) {
      throw invalid("expected a Parameters or a Patient, got " + resource.fhirType());
    }
    Set<String> seen = new HashSet<>();
    Patient patient = null;
    boolean onlyCertain = false;
    int count = DEFAULT_COUNT;
    for (Parameters.ParametersParameterComponent p : parameters.getParameter()) {
      String name = p.getName();
      if (!PARAMETERS.contains(name)) {
        throw invalid("expected parameters resource, onlyCertainMatches and count, got " + name);
      }
      if (!seen.add(name)) {
        throw invalid("expected one " + name + " parameter, got more");
      }
      switch (name) {
        case "resource" -> {
          if (!(p.getResource() instanceof Patient given)) {
            throw invalid("expected the resource parameter to be a Patient");
          }
          patient = given;
        }
        case "onlyCertainMatches" -> {
          if (!(p.getValue() instanceof BooleanType b) || b.getValue() == null) {
            throw invalid("expected onlyCertainMatches as valueBoolean");
          }
          onlyCertain = b.booleanValue();
        }
        default -> {
          if (!(p.getValue() instanceof IntegerType i) || i.getValue() == null) {
            throw invalid("expected count as valueInteger");
          }
          count = i.getValue();
          if (count < 1 || count > MAX_COUNT) {
            throw invalid("expected count from 1 to " + MAX_COUNT + ", got " + count);
          }
        }
      }
    }
    if (patient == null) {
      throw invalid("expected a resource parameter holding the Patient to match");
    }
    return of(patient, onlyCertain, count);
  }

  private static MatchRequest of(Patient patient, boolean onlyCertain, int count) {
    if (patient.hasIdentifier()) {
      throw invalid("expected a Patient without identifiers: $match traces by demographics");
    }
    HumanName name =
        patient.getName().stream()
            .filter(n -> n.getUse() == HumanName.NameUse.OFFICIAL)
            .findFirst()
            .or(
                () ->
                    patient.getName().stream()
                        .filter(n -> n.getUse() != HumanName.NameUse.OLD)
                        .findFirst())
            .filter(HumanName::hasFamily)
            .orElseThrow(() -> invalid("expected a Patient with a family name"));
    // As PDS asks of a search: a family name and birth date alone are not enough to find a person
    // by, only to fish for one.
    if (!name.hasGiven() || name.getGiven().get(0).isEmpty()) {
      throw invalid("expected a Patient with a given name");
    }
    if (!patient.hasBirthDateElement()
        || patient.getBirthDateElement().getPrecision() != TemporalPrecisionEnum.DAY) {
      throw invalid("expected a Patient with a full birth date (YYYY-MM-DD)");
    }
    LocalDate birthDate = LocalDate.parse(patient.getBirthDateElement().getValueAsString());
    Optional<Address> address =
        patient.getAddress().stream()
            .filter(a -> a.getUse() == Address.AddressUse.HOME)
            .findFirst()
            .or(
                () ->
                    patient.getAddress().stream()
                        .filter(a -> a.getUse() != Address.AddressUse.OLD)
                        .findFirst());
    Demographics demographics;
    try {
      demographics =
          new Demographics(
              name.getFamily(),
              name.getGiven().get(0).getValue(),
              List.of(),
              birthDate,
              patient.hasGender() ? patient.getGender().toCode() : null,
              address.filter(Address::hasPostalCode).map(Address::getPostalCode).orElse(null),
              List.of(),
              address.filter(Address::hasLine).map(a -> a.getLine().get(0).getValue()).orElse(null),
              Optional.empty());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    return new MatchRequest(name, address, patient, demographics, onlyCertain, count);
  }

  /**
   * The Patient the answer carries for one candidate: the NHS number, and the name, birth date,
   * gender and address the caller sent, as sent. Nothing the index holds leaks but the number.
   */
  Patient echo(String nhsNumber) {
    Patient out = new Patient();
    out.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(nhsNumber);
    out.addName(name.copy());
    out.setBirthDateElement(sent.getBirthDateElement().copy());
    if (sent.hasGender()) {
      out.setGenderElement(sent.getGenderElement().copy());
    }
    address.ifPresent(a -> out.addAddress(a.copy()));
    return out;
  }

  private static GatewayException invalid(String message) {
    return new GatewayException(400, IssueType.INVALID, message, message);
  }
}
