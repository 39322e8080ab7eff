package org.placeshare.policy;

import java.time.LocalDate;

/** Someone who signed an agreement on behalf of a party (step 2 of the sharing model). */
public record Signatory(OdsCode organisation, String name, String role, LocalDate date) {}
