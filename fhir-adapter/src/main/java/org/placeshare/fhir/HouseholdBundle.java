package org.placeshare.fhir;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;

/**
 * A household view as one searchset {@link Bundle}: first a {@link Group} (FHIR R4, type {@code
 * person}, actual) listing the people shown, then the person asked about's own view as {@link
 * PersonView} assembles it, then each other member's view (Patient, records, Provenance).
 *
 * <p>Only the released are in it: the Group lists, counts and references exactly the people whose
 * views follow, so a member left out leaves no member entry, no count and no entry. A member's
 * OperationOutcomes (a source not shared, one that failed, data-quality findings) stay out: they
 * would tell that a member was looked up, and the audit keeps them. A searchset, not a collection,
 * so that every entry keeps the search mode it has in a person's view (match, include, outcome) and
 * {@code total} counts the matches as it does there: the Group and each released record.
 */
public final class HouseholdBundle {

  /** The display of a member shown whose agreement keeps their Patient back. */
  static final String PATIENT_NOT_SHARED =
      "a member of the household whose Patient is not shared with you";

  private HouseholdBundle() {}

  /**
   * @param person the view of the person asked about
   * @param members the views of the other members released, in the order to show them
   * @param day the day the household was read on
   */
  public static Bundle assemble(
      PersonView.Released person, List<PersonView.Released> members, LocalDate day, Instant now) {
    Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
    bundle.setId(UUID.randomUUID().toString());
    bundle.getMeta().setLastUpdated(Date.from(now));
    bundle.setTimestamp(Date.from(now));
    Group group = new Group();
    group.setId(UUID.randomUUID().toString());
    group.setType(Group.GroupType.PERSON);
    group.setActual(true);
    group.setName("Household on " + day);
    group.addMember().setEntity(patientOf(person.bundle()));
    members.forEach(m -> group.addMember().setEntity(patientOf(m.bundle())));
    group.setQuantity(1 + members.size());
    bundle
        .addEntry()
        .setFullUrl("urn:uuid:" + group.getIdElement().getIdPart())
        .setResource(group)
        .getSearch()
        .setMode(Bundle.SearchEntryMode.MATCH);
    int total = 1 + person.bundle().getTotal();
    person.bundle().getEntry().forEach(e -> bundle.addEntry(e));
    for (PersonView.Released member : members) {
      List<Bundle.BundleEntryComponent> shown = new ArrayList<>();
      for (Bundle.BundleEntryComponent e : member.bundle().getEntry()) {
        if (!(e.getResource() instanceof OperationOutcome)) {
          shown.add(e);
        }
      }
      shown.forEach(bundle::addEntry);
      total += member.bundle().getTotal();
    }
    bundle.setTotal(total);
    return bundle;
  }

  /**
   * The view's Patient by its full URL (its per-organisation pseudonym id, as the view gives it).
   */
  private static Reference patientOf(Bundle view) {
    return view.getEntry().stream()
        .filter(e -> e.getResource() instanceof Patient)
        .findFirst()
        .map(e -> new Reference(e.getFullUrl()))
        .orElseGet(() -> new Reference().setDisplay(PATIENT_NOT_SHARED));
  }
}
