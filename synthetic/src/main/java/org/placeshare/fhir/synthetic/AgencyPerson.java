package org.placeshare.fhir.synthetic;

import java.time.LocalDate;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/**
 * One person as an agency that does not hold the NHS number knows them, with the truth: their NHS
 * number, when the reference index holds them. Any field but the number may be missing or wrong, as
 * in the agency's own system.
 *
 * @param number the agency's own running number of the person, from which its id is made
 * @param birthDate null when the agency never recorded it
 */
public record AgencyPerson(
    int number,
    Optional<NhsNumber> trueNhsNumber,
    String family,
    String given,
    LocalDate birthDate,
    String gender,
    String postcode,
    String addressLine) {}
