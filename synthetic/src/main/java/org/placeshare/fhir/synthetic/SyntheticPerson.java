package org.placeshare.fhir.synthetic;

import java.time.LocalDate;
import org.placeshare.policy.NhsNumber;

/** One made-up person. Every NHS number is in the 999 range reserved for testing. */
public record SyntheticPerson(
    int index,
    NhsNumber nhsNumber,
    String given,
    String family,
    String gender,
    LocalDate birthDate,
    String postcode) {}
