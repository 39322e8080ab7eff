package org.placeshare.ops;

import java.util.Optional;
import java.util.Set;
import org.placeshare.fhir.synthetic.AgencyPopulation;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.policy.CareRelationship;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.RelationshipKind;

/**
 * What the demo's patient register says of each synthetic person: a few have registered a national
 * data opt-out, a few have a restricted record, everyone is registered with the demo GP practice.
 * The demo seeds the gateway's register with it and the dry run decides with it.
 */
final class DemoRegister {

  /** Every seventh person has opted out, from the fifth on; person 0 never, so the demo works. */
  static boolean optedOut(SyntheticPerson p) {
    return p.index() % 7 == 5;
  }

  /** Every eleventh person has a restricted record (S-flag), from the sixth on. */
  static boolean restricted(SyntheticPerson p) {
    return p.index() % 11 == 6;
  }

  /** The outward code of the person's postcode, e.g. CV1 from CV1 2AB. */
  static Optional<String> district(SyntheticPerson p) {
    String postcode = p.postcode() == null ? "" : p.postcode().strip();
    int space = postcode.indexOf(' ');
    return space > 0 ? Optional.of(postcode.substring(0, space)) : Optional.empty();
  }

  /**
   * Everyone is registered with the GP practice; the demo person is also a tenant the housing
   * association supports (an open episode of care), which tell-us-once requires before the
   * association is told of the person's changes.
   */
  static Set<CareRelationship> relationships(SyntheticPerson p) {
    CareRelationship gp =
        new CareRelationship(OdsCode.of("Y90001"), RelationshipKind.REGISTERED_GP);
    if (p.index() == AgencyPopulation.DEMO_PERSON) {
      return Set.of(
          gp, new CareRelationship(OdsCode.of("GHA01"), RelationshipKind.EPISODE_OF_CARE));
    }
    return Set.of(gp);
  }

  static PatientFacts facts(SyntheticPerson p) {
    return new PatientFacts(optedOut(p), restricted(p), district(p), relationships(p));
  }

  private DemoRegister() {}
}
