package org.placeshare.fhir;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.EpisodeOfCare;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.RelationshipKind;

/**
 * What fetched records say about who cares for a person, to feed the relationship register: the
 * registered GP practice ({@code Patient.generalPractitioner}), an open episode of care (its
 * managing organisation, or the source's), an encounter (its service provider, or the source's).
 * Only organisations named by ODS code count.
 */
public final class CareRelationships {

  private CareRelationships() {}

  public static Set<CareRelationship> in(SourceRecords.Found found) {
    Set<CareRelationship> seen = new LinkedHashSet<>();
    OdsCode source = found.source().organisation();
    for (Reference gp : found.patient().getGeneralPractitioner()) {
      ods(gp).ifPresent(o -> seen.add(new CareRelationship(o, RelationshipKind.REGISTERED_GP)));
    }
    for (Resource r : found.resources()) {
      if (r instanceof EpisodeOfCare episode && open(episode)) {
        seen.add(
            new CareRelationship(
                ods(episode.getManagingOrganization()).orElse(source),
                RelationshipKind.EPISODE_OF_CARE));
      } else if (r instanceof Encounter encounter) {
        seen.add(
            new CareRelationship(
                ods(encounter.getServiceProvider()).orElse(source), RelationshipKind.ENCOUNTER));
      }
    }
    return seen;
  }

  private static boolean open(EpisodeOfCare episode) {
    return episode.getStatus() == EpisodeOfCare.EpisodeOfCareStatus.ACTIVE
        || episode.getStatus() == EpisodeOfCare.EpisodeOfCareStatus.WAITLIST
        || episode.getStatus() == EpisodeOfCare.EpisodeOfCareStatus.ONHOLD;
  }

  private static Optional<OdsCode> ods(Reference reference) {
    if (reference == null
        || !reference.hasIdentifier()
        || !Fhir.ODS_SYSTEM.equals(reference.getIdentifier().getSystem())) {
      return Optional.empty();
    }
    try {
      return Optional.of(OdsCode.of(reference.getIdentifier().getValue()));
    } catch (PolicyException e) {
      return Optional.empty(); // a source's malformed code is not a relationship
    }
  }
}
