package org.placeshare.fhir;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
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
      for (Field field : COMPARED) {
        String expected = field.value().apply(reference.patient());
        String actual = field.value().apply(other.patient());
        if (expected == null) {
          continue;
        }
        String id = other.source().id();
        if (actual == null) {
          findings.add(new Finding(id, field.name(), id + " has no " + field.name()));
        } else if (!Objects.equals(expected, actual)) {
          findings.add(
              new Finding(
                  id,
                  field.name(),
                  id + " disagrees with " + reference.source().id() + " on " + field.name()));
        }
      }
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

  private static String normalise(String text) {
    return text == null || text.isBlank() ? null : text.strip().toLowerCase(Locale.ROOT);
  }
}
