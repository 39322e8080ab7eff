package org.placeshare.fhir;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.policy.NhsNumber;

/**
 * Step 4 of the sharing model, one quality standard: each source's Patient is checked (one NHS
 * number, valid, the one asked for) and its demographics compared with the most authoritative
 * source's. Findings name the source and the field, never a value, so they can be shown to anyone
 * who may see the view and counted per source.
 */
public final class DataQuality {

  /** One problem with one source's record of the person. */
  public record Finding(String source, String field, String message) {}

  private record Field(String name, Function<Patient, String> value) {}

  private static final List<Field> COMPARED =
      List.of(
          new Field("family name", p -> normalise(p.getNameFirstRep().getFamily())),
          new Field("given name", p -> normalise(p.getNameFirstRep().getGivenAsSingleString())),
          new Field(
              "birth date", p -> p.hasBirthDate() ? p.getBirthDateElement().asStringValue() : null),
          new Field("gender", p -> p.hasGender() ? p.getGender().toCode() : null),
          new Field(
              "postcode",
              p -> {
                String postcode = p.getAddressFirstRep().getPostalCode();
                return postcode == null ? null : postcode.replace(" ", "").toUpperCase(Locale.ROOT);
              }));

  private DataQuality() {}

  /**
   * @param found the sources that hold the person, most authoritative first
   */
  public static List<Finding> check(NhsNumber requested, List<SourceRecords.Found> found) {
    List<Finding> findings = new ArrayList<>();
    for (SourceRecords.Found f : found) {
      nhsNumber(f, requested, findings);
      aboutThePerson(f, findings);
    }
    if (found.size() < 2) {
      return findings;
    }
    SourceRecords.Found reference = found.get(0);
    for (SourceRecords.Found other : found.subList(1, found.size())) {
      compare(reference.source().id(), reference.patient(), other, findings);
    }
    return findings;
  }

  /** What the reference index is called in findings. */
  public static final String INDEX = "the reference index";

  /**
   * Each source's demographics compared with the reference index's record of the person (as PDS
   * holds it): the agencies that do not hold the NHS number were linked on theirs, so a
   * disagreement is a slip to mend at one of them, or a link to look at again.
   */
  public static List<Finding> againstIndex(
      Optional<Demographics> index, List<SourceRecords.Found> found) {
    if (index.isEmpty()) {
      return List.of(
          new Finding(INDEX, "NHS number", INDEX + " holds nobody with this NHS number"));
    }
    Patient reference = new Patient();
    Demographics d = index.get();
    reference.addName().setFamily(d.family()).addGiven(d.given());
    reference.getBirthDateElement().setValueAsString(d.birthDate().toString());
    if (d.gender() != null) {
      reference.setGender(Enumerations.AdministrativeGender.fromCode(d.gender()));
    }
    reference.addAddress().setPostalCode(d.postcode());
    List<Finding> findings = new ArrayList<>();
    for (SourceRecords.Found other : found) {
      compare(INDEX, reference, other, findings);
    }
    return findings;
  }

  private static void nhsNumber(
      SourceRecords.Found f, NhsNumber requested, List<Finding> findings) {
    String id = f.source().id();
    List<String> numbers =
        f.patient().getIdentifier().stream()
            .filter(AboutThePerson::isNhsNumber)
            .map(AboutThePerson::nhsNumberValue)
            .toList();
    if (numbers.size() != 1) {
      findings.add(
          new Finding(id, "NHS number", id + " holds " + numbers.size() + " NHS numbers, not one"));
    }
    for (String n : numbers) {
      if (NhsNumber.tryParse(n).isEmpty()) {
        findings.add(new Finding(id, "NHS number", id + " holds an invalid NHS number"));
      } else if (!NhsNumber.tryParse(n).get().equals(requested)) {
        findings.add(new Finding(id, "NHS number", id + " holds another NHS number as well"));
      }
    }
  }

  /**
   * Records the source sent that are not about the person asked for were left out: said, counted.
   */
  private static void aboutThePerson(SourceRecords.Found f, List<Finding> findings) {
    int n = f.notAboutThePerson();
    if (n > 0) {
      String id = f.source().id();
      findings.add(
          new Finding(
              id,
              "subject",
              id
                  + " sent "
                  + n
                  + (n == 1 ? " record" : " records")
                  + " not about this person; left out"));
    }
  }

  /** One source's Patient compared, field by field, with a reference's. */
  private static void compare(
      String referenceName, Patient reference, SourceRecords.Found other, List<Finding> findings) {
    String id = other.source().id();
    for (Field field : COMPARED) {
      String expected = field.value().apply(reference);
      String actual = field.value().apply(other.patient());
      if (expected == null) {
        continue;
      }
      if (actual == null) {
        findings.add(new Finding(id, field.name(), id + " has no " + field.name()));
      } else if (!Objects.equals(expected, actual)) {
        findings.add(
            new Finding(
                id, field.name(), id + " disagrees with " + referenceName + " on " + field.name()));
      }
    }
  }

  /** The findings as an OperationOutcome's warnings. */
  public static OperationOutcome outcome(List<Finding> findings) {
    OperationOutcome outcome = new OperationOutcome();
    for (Finding f : findings) {
      outcome
          .addIssue()
          .setSeverity(OperationOutcome.IssueSeverity.WARNING)
          .setCode(OperationOutcome.IssueType.BUSINESSRULE)
          .setDiagnostics("data quality: " + f.message());
    }
    return outcome;
  }

  /**
   * A name as compared: accents, apostrophes and full stops dropped, hyphens as spaces, any case
   * (O'Brien and OBRIEN, Zoë and Zoe, Smith-Jones and Smith Jones are one name), as tracing reads
   * names.
   */
  private static String normalise(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String folded =
        Normalizer.normalize(text, Normalizer.Form.NFD)
            .replaceAll("\\p{M}", "")
            .toLowerCase(Locale.ROOT)
            .replaceAll("['.]", "")
            .replace('-', ' ')
            .strip()
            .replaceAll(" +", " ");
    return folded.isEmpty() ? null : folded;
  }
}
