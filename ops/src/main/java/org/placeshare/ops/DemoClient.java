package org.placeshare.ops;

import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The client systems the demo registers, each acting for one organisation: the roles it is
 * registered to vouch for, the first being the one its demo user's tokens carry.
 */
enum DemoClient {
  COUNCIL_INTEL(
      "council-intel", "E08000026", List.of("analyst"), "a.analyst", List.of("HOPERAT", "PUBHLTH")),
  // The trust records consents through the gateway (viaGateway): its reception may take them.
  COVENTRY_AE(
      "coventry-ae",
      "R9A",
      List.of("clinician", "consent-recorder"),
      "dr.jones",
      List.of("TREAT", "ETREAT")),
  // The frailty team's role is its own: only its system may ask under the social care agreement.
  FRAILTY_TEAM(
      "coventry-frailty",
      "R9A",
      List.of("frailty-clinician"),
      "nurse.patel",
      List.of("TREAT", "ETREAT")),
  IG_CONSOLE("ig-console", "QWU", List.of("ig-lead"), "ig.lead", List.of("HOPERAT")),
  // The council's data steward: reviews and undoes the links of the council's own traced records.
  COUNCIL_STEWARD(
      "council-steward", "E08000026", List.of("data-steward"), "c.steward", List.of("HOPERAT")),
  // The police force's data steward: decides the police's own review queue and undoes its links.
  POLICE_STEWARD(
      "police-steward", "NPF01", List.of("data-steward"), "p.steward", List.of("HOPERAT")),
  // Children's social care (the front door): sees a child's household under the safeguarding
  // partnership's family clause; the council's analysts do not.
  COUNCIL_SAFEGUARDING(
      "council-safeguarding",
      "E08000026",
      List.of("safeguarding-practitioner"),
      "s.worker",
      List.of("HOPERAT")),
  // Tell us once: the council's system that reports changes it learns of (POST /events).
  COUNCIL_EVENTS(
      "council-events", "E08000026", List.of("event-reporter"), "c.events", List.of("HOPERAT")),
  // The agencies' notification systems (POST /fhir/Subscription), each with a receiver in the
  // demo on loopback: the GP practice and the housing association are told under tell-us-once,
  // the police subscribe but no agreement lets a notification reach them.
  GP_NOTIFY("gp-notify", "Y90001", List.of("subscriber"), "gp.admin", List.of("HOPERAT")),
  HOUSING_NOTIFY("housing-notify", "GHA01", List.of("subscriber"), "h.officer", List.of("HOPERAT")),
  POLICE_NOTIFY("police-notify", "NPF01", List.of("subscriber"), "p.officer", List.of("HOPERAT"));

  /** The role whose clients the demo registers with a notification host (loopback). */
  static final String SUBSCRIBER = "subscriber";

  final String id;
  final String organisation;
  final String role;
  final List<String> roles;
  final String user;
  final List<String> purposes;

  DemoClient(
      String id, String organisation, List<String> roles, String user, List<String> purposes) {
    this.id = id;
    this.organisation = organisation;
    this.role = roles.get(0);
    this.roles = roles;
    this.user = user;
    this.purposes = purposes;
  }

  static Optional<DemoClient> byId(String id) {
    return Stream.of(values()).filter(c -> c.id.equals(id)).findFirst();
  }

  /** The clients' ids, in order, for the command line's help and checks. */
  static final class Ids implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Stream.of(values()).map(c -> c.id).iterator();
    }
  }
}
