package org.placeshare.gateway.household;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.Address;
import org.placeshare.fhir.DataQuality;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.index.IndexPatient;
import org.placeshare.policy.NhsNumber;

/**
 * {@code $data-quality}'s word on addresses: sources that say the person lives at different places
 * on one day. A finding to mend at a source, never a merge of two households. Two sources agree
 * when they share an address by UPRN, or by postcode and address lines (one may give a UPRN, the
 * other not). Findings name sources, never an address.
 */
public final class AddressDisagreement {

  /** The field findings name. */
  public static final String FIELD = "address";

  private AddressDisagreement() {}

  /**
   * @param found the sources that hold the person, most authoritative first: the first that gives
   *     an address on {@code day} is the one the others are compared with
   */
  public static List<DataQuality.Finding> among(
      NhsNumber person, List<SourceRecords.Found> found, LocalDate day) {
    String reference = null;
    Set<AddressKey> referenceKeys = null;
    List<DataQuality.Finding> findings = new ArrayList<>();
    for (SourceRecords.Found f : found) {
      Set<AddressKey> keys = keysOn(person, f, day);
      if (keys.isEmpty()) {
        continue;
      }
      if (reference == null) {
        reference = f.source().id();
        referenceKeys = keys;
      } else if (keys.stream().noneMatch(referenceKeys::contains)) {
        String id = f.source().id();
        findings.add(
            new DataQuality.Finding(
                id,
                FIELD,
                "sources disagree on where the person lives: "
                    + id
                    + " gives another address than "
                    + reference
                    + " on "
                    + day));
      }
    }
    return findings;
  }

  /** Both keys of every address the source gives for the person on the day. */
  private static Set<AddressKey> keysOn(NhsNumber person, SourceRecords.Found f, LocalDate day) {
    Set<AddressKey> keys = new LinkedHashSet<>();
    HouseholdFacts facts = HouseholdFacts.in(person, f, day);
    keys.addAll(facts.addressesOn(day));
    // The same addresses by postcode and lines as well, where a UPRN keyed them.
    for (Address a :
        f.patient().getAddress().stream().limit(HouseholdFacts.MAX_ADDRESSES).toList()) {
      IndexPatient.uprn(a)
          .flatMap(AddressKey::uprn)
          .filter(keys::contains)
          .flatMap(u -> AddressKey.address(a.getPostalCode(), HouseholdFacts.lines(a)))
          .ifPresent(keys::add);
    }
    return keys;
  }
}
