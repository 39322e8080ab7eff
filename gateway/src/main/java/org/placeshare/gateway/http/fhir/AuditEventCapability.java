package org.placeshare.gateway.http.fhir;

import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations;
import org.placeshare.fhir.Fhir;

/**
 * The audit log's FHIR search (http.audit's AuditEventSearch) as the CapabilityStatement says it.
 */
final class AuditEventCapability {

  private AuditEventCapability() {}

  /** The search as the CapabilityStatement declares it: IG leads only, its parameters. */
  static void describe(CapabilityStatement.CapabilityStatementRestResourceComponent r) {
    r.setDocumentation(
        "The audit log as IHE BALP AuditEvents, newest first; for information governance leads"
            + " only (role ig-lead), every search itself audited. Any other parameter is refused"
            + " (400). Paged, with next links.");
    r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.SEARCHTYPE);
    param(
        r, "date", Enumerations.SearchParamType.DATE, "AuditEvent-date", "prefixes eq ge gt le lt");
    param(
        r,
        "patient",
        Enumerations.SearchParamType.REFERENCE,
        "AuditEvent-patient",
        "Patient/{nhsNumber}; or patient:identifier=" + Fhir.NHS_NUMBER_SYSTEM + "|{nhsNumber}");
    param(r, "agent", Enumerations.SearchParamType.REFERENCE, "AuditEvent-agent", "the user's id");
    param(r, "outcome", Enumerations.SearchParamType.TOKEN, "AuditEvent-outcome", "0, 4, 8 or 12");
    param(r, "type", Enumerations.SearchParamType.TOKEN, "AuditEvent-type", "system|code or code");
    param(
        r,
        "subtype",
        Enumerations.SearchParamType.TOKEN,
        "AuditEvent-subtype",
        "system|code or code");
  }

  private static void param(
      CapabilityStatement.CapabilityStatementRestResourceComponent r,
      String name,
      Enumerations.SearchParamType type,
      String definition,
      String documentation) {
    r.addSearchParam()
        .setName(name)
        .setType(type)
        .setDefinition("http://hl7.org/fhir/SearchParameter/" + definition)
        .setDocumentation(documentation);
  }
}
