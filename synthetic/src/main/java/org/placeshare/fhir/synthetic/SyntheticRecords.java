package org.placeshare.fhir.synthetic;

import ca.uhn.fhir.context.FhirContext;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The records three kinds of source hold about a synthetic population: a GP practice (everyone:
 * conditions, medication, allergies), an acute trust (A&E attendances for most) and a council adult
 * social care service (care episodes for some). The first person is known to all three.
 */
public final class SyntheticRecords {

  /** The kinds of source the demo runs. */
  public enum Kind {
    GP,
    ACUTE,
    COUNCIL
  }

  /**
   * HAPI's cached R4 context, the same one the adapter uses ({@code Fhir.context()}), so a demo
   * process builds one. These sources stand for upstream systems and use none of the adapter's
   * code.
   */
  static final FhirContext FHIR = FhirContext.forR4Cached();

  /** The identifier systems an upstream uses (UK Core), as the upstream itself writes them. */
  private static final String NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number";

  private static final String ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code";

  private static final String SNOMED = "http://snomed.info/sct";

  private static final String[][] CONDITIONS = {
    {"44054006", "Type 2 diabetes mellitus"},
    {"38341003", "Hypertensive disorder"},
    {"195967001", "Asthma"},
    {"13645005", "Chronic obstructive lung disease"},
    {"84114007", "Heart failure"},
    {"52448006", "Dementia"},
    {"396275006", "Osteoarthritis"}
  };
  private static final String[][] MEDICATIONS = {
    {"109081006", "Metformin"}, {"386872004", "Ramipril"}, {"108606009", "Salbutamol"}
  };

  private SyntheticRecords() {}

  /** Whether a source of this kind holds this person. */
  public static boolean holds(Kind kind, SyntheticPerson person) {
    int i = person.index();
    return switch (kind) {
      case GP -> true;
      case ACUTE -> i % 5 != 4;
      case COUNCIL -> i % 3 == 0;
    };
  }

  public static List<Resource> forSource(Kind kind, String idPrefix, List<SyntheticPerson> people) {
    List<Resource> resources = new ArrayList<>();
    for (SyntheticPerson person : people) {
      if (!holds(kind, person)) {
        continue;
      }
      String patientId = idPrefix + "-" + person.index();
      Patient patient = patient(patientId, person);
      if (kind == Kind.GP) {
        patient
            .addGeneralPractitioner()
            .setIdentifier(new Identifier().setSystem(ODS_SYSTEM).setValue(GP_PRACTICE));
      }
      if (kind == Kind.ACUTE && person.index() == PLANTED_DISAGREEMENT) {
        // A typing slip at the hospital's front desk: one day out. The data-quality check finds it.
        patient.setBirthDate(date(person.birthDate().plusDays(1)));
      }
      resources.add(patient);
      Reference subject = new Reference("Patient/" + patientId);
      int i = person.index();
      switch (kind) {
        case GP -> {
          for (int c = 0; c <= i % 3; c++) {
            String[] code = CONDITIONS[(i + c * 3) % CONDITIONS.length];
            Condition condition = new Condition().setSubject(subject).setCode(snomed(code));
            condition.setId(patientId + "-cond-" + c);
            condition.setRecordedDate(date(person.birthDate().plusYears(40 + c)));
            resources.add(condition);
          }
          String[] med = MEDICATIONS[i % MEDICATIONS.length];
          MedicationStatement statement =
              new MedicationStatement()
                  .setStatus(MedicationStatement.MedicationStatementStatus.ACTIVE)
                  .setSubject(subject)
                  .setMedication(snomed(med));
          statement.setId(patientId + "-med-0");
          resources.add(statement);
          if (i % 4 == 0) {
            AllergyIntolerance allergy =
                new AllergyIntolerance()
                    .setPatient(subject)
                    .setCode(snomed(new String[] {"91936005", "Allergy to penicillin"}));
            allergy.setId(patientId + "-allergy-0");
            resources.add(allergy);
          }
        }
        case ACUTE -> {
          Encounter encounter =
              new Encounter()
                  .setStatus(Encounter.EncounterStatus.FINISHED)
                  .setClass_(
                      new Coding(
                          "http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER", "emergency"))
                  .setSubject(subject);
          encounter.addType(snomed(new String[] {"4525004", "Emergency department patient visit"}));
          encounter.getPeriod().setStart(date(LocalDate.of(2026, 1 + i % 12, 1 + i % 28)));
          encounter.setId(patientId + "-enc-0");
          resources.add(encounter);
        }
        case COUNCIL -> {
          EpisodeOfCare episode =
              new EpisodeOfCare()
                  .setStatus(EpisodeOfCare.EpisodeOfCareStatus.ACTIVE)
                  .setPatient(subject);
          episode.addType(
              new CodeableConcept()
                  .addCoding(
                      new Coding(
                          "https://placeshare.example/CodeSystem/adult-social-care",
                          i % 2 == 0 ? "home-care" : "reablement",
                          i % 2 == 0 ? "Home care package" : "Reablement")));
          episode.getPeriod().setStart(date(LocalDate.of(2025, 1 + i % 12, 1)));
          episode.setId(patientId + "-eoc-0");
          resources.add(episode);
        }
      }
    }
    // Every record was last changed in October 2026, so _since can be seen to work.
    resources.forEach(r -> r.getMeta().setLastUpdated(date(LAST_UPDATED)));
    return resources;
  }

  /** The ODS code of the synthetic GP practice, named as each person's registered GP. */
  public static final String GP_PRACTICE = "Y90001";

  /** The person whose birth date the acute trust holds wrongly, for the data-quality check. */
  public static final int PLANTED_DISAGREEMENT = 2;

  /** When every synthetic record was last changed. */
  public static final LocalDate LAST_UPDATED = LocalDate.of(2026, 10, 1);

  private static Patient patient(String id, SyntheticPerson person) {
    Patient patient = new Patient();
    patient.setId(id);
    patient.addIdentifier().setSystem(NHS_NUMBER_SYSTEM).setValue(person.nhsNumber().toString());
    patient.addName().setFamily(person.family()).addGiven(person.given());
    patient.setGender(Enumerations.AdministrativeGender.fromCode(person.gender()));
    patient.setBirthDate(date(person.birthDate()));
    patient.addAddress().setPostalCode(person.postcode());
    return patient;
  }

  private static CodeableConcept snomed(String[] code) {
    return new CodeableConcept().addCoding(new Coding(SNOMED, code[0], code[1])).setText(code[1]);
  }

  private static Date date(LocalDate day) {
    return Date.from(day.atStartOfDay().toInstant(ZoneOffset.UTC));
  }
}
