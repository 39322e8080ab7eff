package org.placeshare.policy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A generated place of many agreements, for the decision and reload benchmarks and for the test
 * that compares the indexed decisions with a linear scan. The spread is a place's, not copies of
 * one file: many organisations, each agreement between a few of them, for one of six kinds of
 * sharing (direct care with consent, council intelligence pilots, population health with cohort
 * export and family, safeguarding with sensitive data, notifications, tracing), in several statuses
 * and time windows, some in a second version. One pair, {@link #HUB_PROVIDER} to {@link
 * #HUB_RECIPIENT}, is named by many agreements ({@link #hubShare}): the worst case for a decision,
 * which evaluates every agreement naming the pair. Deterministic for a seed.
 */
public final class AgreementCorpus {

  /** The GP practice and the acute trust that many agreements name as a pair. */
  public static final OdsCode HUB_PROVIDER = OdsCode.of("Y90001");

  public static final OdsCode HUB_RECIPIENT = OdsCode.of("R9A");

  /** The day requests are made on by default; agreements' windows fall either side of it. */
  public static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");

  static final List<String> ROLES =
      List.of("clinician", "frailty-clinician", "analyst", "care-coordinator", "pharmacist");

  static final List<String> DIRECT = List.of("TREAT", "ETREAT", "COC", "CAREMGT");

  private static final List<String> TYPES =
      List.of(
          "Patient",
          "Condition",
          "MedicationStatement",
          "AllergyIntolerance",
          "Encounter",
          "EpisodeOfCare",
          "Observation",
          "Flag");

  private static final String[] EFFECTIVE = {
    "2025-01-01", "2025-06-01", "2026-01-01", "2026-09-01", "2027-01-01"
  };

  private static final List<String> DISTRICTS = List.of("CV1", "CV2", "CV3", "CV4", "CV5", "CV6");

  private final int size;
  private final long seed;
  private final List<OdsCode> organisations;

  /**
   * @param size how many agreements (files) the place has
   */
  public AgreementCorpus(int size, long seed) {
    this.size = size;
    this.seed = seed;
    // About one organisation for every 20 agreements, at least 40: GP practices, trusts, councils.
    int orgs = Math.max(40, size / 20);
    List<OdsCode> list = new ArrayList<>();
    for (int i = 0; i < orgs; i++) {
      list.add(OdsCode.of(String.format("%c%05d", "GRE".charAt(i % 3), 10000 + i)));
    }
    this.organisations = List.copyOf(list);
  }

  public int size() {
    return size;
  }

  public List<OdsCode> organisations() {
    return organisations;
  }

  /**
   * One in every this many agreements (and its second version) names the hub pair: about 100
   * agreements in all, whatever the size of the place.
   */
  public int hubShare() {
    return Math.max(20, size / 50);
  }

  /** The file name of agreement {@code i}. */
  public static String fileName(int i) {
    return String.format("agreement-%06d.yaml", i);
  }

  /** The text of agreement {@code i}, as an IG lead would write it. */
  public byte[] file(int i) {
    return yaml(i).getBytes(StandardCharsets.UTF_8);
  }

  /** Every agreement, parsed. */
  public List<Agreement> agreements() {
    List<Agreement> all = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      all.add(AgreementFile.parse(fileName(i), file(i)));
    }
    return all;
  }

  String yaml(int i) {
    // Every tenth agreement's successor is the next one: version 2 of the same id, in force after
    // version 1 ends, between the same parties (its own random stream comes from the first's).
    boolean second = i % 10 == 1;
    int base = second ? i - 1 : i;
    Random r = new Random(seed * 1_000_003L + base);
    boolean hub = base % hubShare() == 0;
    int kind = hub ? r.nextInt(3) : r.nextInt(20);
    String kindName =
        switch (kind) {
          case 0, 1, 2, 3, 4, 5, 6, 7, 8 -> "direct";
          case 9, 10, 11 -> "intelligence";
          case 12, 13, 14 -> "population";
          case 15, 16 -> "safeguarding";
          case 17, 18 -> "notify";
          default -> "tracing";
        };
    if (hub && kind == 2) {
      kindName = "intelligence";
    }
    Set<OdsCode> providers = new LinkedHashSet<>();
    Map<OdsCode, List<String>> recipients = new LinkedHashMap<>();
    if (hub) {
      providers.add(HUB_PROVIDER);
    }
    int nProviders = 1 + r.nextInt(3);
    while (providers.size() < nProviders) {
      providers.add(org(r));
    }
    if (hub) {
      recipients.put(HUB_RECIPIENT, roles(r, kindName));
    }
    int nRecipients = 1 + r.nextInt(hub ? 2 : 3);
    while (recipients.size() < nRecipients) {
      recipients.put(org(r), roles(r, kindName));
    }
    String status;
    int s = r.nextInt(100);
    if (kindName.equals("intelligence") && s < 60) {
      status = "pilot";
    } else if (s < 80) {
      status = "active";
    } else if (s < 88) {
      status = "pilot";
    } else if (s < 93) {
      status = "suspended";
    } else if (s < 97) {
      status = "draft";
    } else {
      status = "expired";
    }
    LocalDate effective = LocalDate.parse(EFFECTIVE[r.nextInt(EFFECTIVE.length)]);
    LocalDate expires = effective.plusYears(1 + r.nextInt(3)).minusDays(1);
    int version = 1;
    if (i % 10 == 0 && i + 1 < size) {
      // Version 1 ended the day before version 2 began.
      expires = LocalDate.parse("2025-12-31");
      effective = LocalDate.parse("2024-01-01");
    } else if (second) {
      version = 2;
      effective = LocalDate.parse("2026-01-01");
      expires = LocalDate.parse("2028-12-31");
      status = status.equals("draft") || status.equals("expired") ? "active" : status;
    }
    LocalDate review = expires.minusMonths(6);
    List<String> purposes = purposes(r, kindName);
    StringBuilder y = new StringBuilder();
    y.append("id: place-").append(base).append('\n');
    y.append("version: ").append(version).append('\n');
    y.append("title: Generated ").append(kindName).append(" sharing ").append(base).append('\n');
    y.append("status: ").append(status).append('\n');
    y.append("effective: ").append(effective).append('\n');
    y.append("expires: ").append(expires).append('\n');
    y.append("review: ").append(review).append('\n');
    y.append("signatories:\n");
    for (OdsCode p : providers) {
      y.append("  - organisation: ")
          .append(p)
          .append("\n    name: Pat Example\n")
          .append("    role: Caldicott Guardian\n    date: 2024-12-01\n");
    }
    y.append("purpose:\n  problem: Records are not seen where care happens.\n")
        .append("  resolves: The records are shared under this agreement.\n")
        .append("  benefit: Safer and joined-up care.\n");
    y.append("providers: ").append(providers).append('\n');
    y.append("recipients:\n");
    recipients.forEach(
        (org, roles) ->
            y.append("  - organisation: ")
                .append(org)
                .append("\n    roles: ")
                .append(roles)
                .append('\n'));
    y.append("purposesOfUse: ").append(purposes).append('\n');
    List<String> types = types(r);
    switch (kindName) {
      case "direct" -> direct(y, r, purposes, types, providers, recipients);
      case "intelligence" -> intelligence(y, r, types, status);
      case "population" -> population(y, r, types, status);
      case "safeguarding" -> safeguarding(y, r, types, purposes);
      case "notify" -> notify(y, r, recipients, purposes, types);
      default -> tracing(y, types);
    }
    y.append("audit:\n  retainYears: ").append(1 + r.nextInt(25)).append('\n');
    return y.toString();
  }

  private OdsCode org(Random r) {
    return organisations.get(r.nextInt(organisations.size()));
  }

  private static List<String> roles(Random r, String kind) {
    if (kind.equals("notify")) {
      return List.of(NotificationClause.SUBSCRIBER_ROLE);
    }
    Set<String> roles = new LinkedHashSet<>();
    int n = 1 + r.nextInt(2);
    while (roles.size() < n) {
      roles.add(ROLES.get(r.nextInt(ROLES.size())));
    }
    return List.copyOf(roles);
  }

  private static List<String> purposes(Random r, String kind) {
    return switch (kind) {
      case "direct" -> {
        Set<String> p = new LinkedHashSet<>();
        p.add(r.nextBoolean() ? "TREAT" : DIRECT.get(r.nextInt(DIRECT.size())));
        if (r.nextInt(3) > 0) {
          p.add("ETREAT");
        }
        if (r.nextInt(4) == 0) {
          p.add(DIRECT.get(r.nextInt(DIRECT.size())));
        }
        yield List.copyOf(p);
      }
      case "population" -> List.of("PUBHLTH");
      case "notify" -> r.nextBoolean() ? List.of("HOPERAT") : List.of("HOPERAT", "TREAT");
      default -> List.of("HOPERAT");
    };
  }

  private static List<String> types(Random r) {
    List<String> types = new ArrayList<>();
    types.add("Patient");
    for (String t : TYPES.subList(1, TYPES.size())) {
      if (r.nextInt(2) == 0) {
        types.add(t);
      }
    }
    return types;
  }

  private void direct(
      StringBuilder y,
      Random r,
      List<String> purposes,
      List<String> types,
      Set<OdsCode> providers,
      Map<OdsCode, List<String>> recipients) {
    boolean etreat = purposes.contains("ETREAT");
    boolean consent = r.nextInt(4) > 0;
    y.append("lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(h)\n  commonLaw: ")
        .append(consent ? "consent" : "implied-consent-direct-care")
        .append('\n');
    y.append("data:\n  resourceTypes: ").append(types).append('\n');
    if (r.nextInt(10) == 0) {
      y.append("  sensitive: [sexual-health]\n");
    }
    y.append("obligations:\n  confidentiality: R\n");
    if (consent) {
      Set<OdsCode> issuers = new LinkedHashSet<>(providers);
      issuers.add(recipients.keySet().iterator().next());
      boolean emergency = etreat && r.nextInt(3) > 0;
      y.append("consent:\n  rule: ")
          .append(emergency ? "required-or-emergency" : "required")
          .append("\n  issuers: ")
          .append(List.copyOf(issuers))
          .append('\n');
      if (emergency) {
        y.append("emergency:\n  allowed: true\n");
      }
    } else {
      y.append("consent:\n  rule: none\n");
    }
    y.append("restrictedRecords: ").append(r.nextBoolean() ? "release" : "withhold").append('\n');
    if (r.nextInt(3) == 0) {
      y.append("relationship:\n  required: true\n  accepted: [registered-gp, episode-of-care]\n")
          .append("  selfClaim: ")
          .append(r.nextBoolean() ? "allowed" : "refused")
          .append('\n');
    }
  }

  private void intelligence(StringBuilder y, Random r, List<String> types, String status) {
    y.append(
            "lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(h)\n"
                + "  commonLaw: overriding-public-interest\n")
        .append("data:\n  resourceTypes: ")
        .append(types)
        .append('\n')
        .append("obligations:\n  remove: [Patient.telecom]\n  confidentiality: R\n")
        .append("consent:\n  rule: none\nnationalOptOut: applied\nrestrictedRecords: withhold\n");
    if (status.equals("pilot")) {
      y.append("pilot:\n");
      int p = r.nextInt(4);
      if (p == 0 || p == 3) {
        y.append("  cohort: [");
        for (int k = 0; k < 3; k++) {
          y.append(k == 0 ? "" : ", ").append(person(r.nextInt(PEOPLE)));
        }
        y.append("]\n");
      }
      if (p == 1 || p == 3) {
        y.append("  postcodeDistricts: [")
            .append(DISTRICTS.get(r.nextInt(DISTRICTS.size())))
            .append("]\n");
      }
      if (r.nextBoolean()) {
        y.append("  dailyVolume: ").append(1 + r.nextInt(200)).append('\n');
      }
      if (r.nextInt(4) == 0) {
        y.append("  monitorOnly: true\n");
      }
    }
  }

  private void population(StringBuilder y, Random r, List<String> types, String status) {
    y.append("lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(h)\n  commonLaw: s251-support\n")
        .append("data:\n  resourceTypes: ")
        .append(types)
        .append('\n');
    if (r.nextBoolean()) {
      y.append("family:\n  relationships: [household, parent-child]\n  resourceTypes: [Patient]\n")
          .append("  purposesOfUse: [PUBHLTH]\n");
    }
    y.append("obligations:\n  remove: [Patient.name, Patient.telecom]\n  pseudonymise: true\n")
        .append("  confidentiality: R\n")
        .append("consent:\n  rule: none\nnationalOptOut: applied\nrestrictedRecords: withhold\n")
        .append("cohortExport:\n  maxMembers: ")
        .append(100 * (1 + r.nextInt(200)))
        .append('\n');
    if (status.equals("pilot") && r.nextBoolean()) {
      y.append("pilot:\n  dailyVolume: ").append(1 + r.nextInt(500)).append('\n');
    }
  }

  private void safeguarding(StringBuilder y, Random r, List<String> types, List<String> purposes) {
    y.append(
            "lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(g)\n"
                + "  commonLaw: overriding-public-interest\n")
        .append("data:\n  resourceTypes: ")
        .append(types)
        .append("\n  sensitive: [criminal-offence]\n")
        .append("family:\n  relationships: [household, parent-child]\n  resourceTypes: [Patient]\n")
        .append("  purposesOfUse: ")
        .append(purposes)
        .append('\n')
        .append("obligations:\n  remove: [Patient.telecom]\n  confidentiality: R\n")
        .append("consent:\n  rule: none\nnationalOptOut: applied\nrestrictedRecords: withhold\n");
  }

  private void notify(
      StringBuilder y,
      Random r,
      Map<OdsCode, List<String>> recipients,
      List<String> purposes,
      List<String> types) {
    y.append(
            "lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(h)\n"
                + "  commonLaw: overriding-public-interest\n")
        .append("data:\n  resourceTypes: [Patient]\n")
        .append("obligations:\n  remove: [Patient.telecom]\n  confidentiality: R\n")
        .append("consent:\n  rule: none\nnationalOptOut: applied\nrestrictedRecords: withhold\n");
    if (r.nextBoolean()) {
      y.append("relationship:\n  required: true\n  accepted: [registered-gp]\n")
          .append("  selfClaim: refused\n");
    }
    y.append("notifications:\n");
    for (OdsCode org : recipients.keySet()) {
      y.append("  - organisation: ")
          .append(org)
          .append("\n    roles: [subscriber]\n    kinds: ")
          .append(r.nextBoolean() ? "[address-changed, died]" : "[died, gp-changed]")
          .append("\n    purposesOfUse: ")
          .append(purposes)
          .append('\n');
    }
  }

  private void tracing(StringBuilder y, List<String> types) {
    y.append(
            "lawfulBasis:\n  article6: 6(1)(e)\n  article9: 9(2)(g)\n"
                + "  commonLaw: overriding-public-interest\n")
        .append("data:\n  resourceTypes: ")
        .append(types)
        .append('\n')
        .append("obligations:\n  remove: [Patient.telecom]\n  confidentiality: R\n")
        .append("consent:\n  rule: none\nnationalOptOut: applied\nrestrictedRecords: withhold\n")
        .append("tracing: permitted\n");
  }

  /** The synthetic people requests are about. */
  static final int PEOPLE = 500;

  /** Person {@code n}: an NHS number in the 999 range, valid by Modulus 11. */
  public static NhsNumber person(int n) {
    for (int k = n * 10; ; k++) {
      Optional<NhsNumber> found = NhsNumber.withCheckDigit(String.format("999%06d", k % 1_000_000));
      if (found.isPresent()) {
        return found.get();
      }
    }
  }

  /**
   * Requests a place would ask of these agreements: mostly what some agreement names (a provider
   * and a recipient, role and purpose it lists), with every kind of fact that changes the answer
   * (consents fitting or not, emergencies, opt-outs, restricted records, care relationships, pilot
   * caps, cohort export, sensitive sources, family members, notifications), and some asking of
   * pairs no agreement names.
   */
  public List<DecisionRequest> requests(List<Agreement> agreements, int count, long requestSeed) {
    Random r = new Random(requestSeed);
    List<DecisionRequest> requests = new ArrayList<>(count);
    List<String> allPurposes = List.of("TREAT", "ETREAT", "COC", "CAREMGT", "HOPERAT", "PUBHLTH");
    for (int n = 0; n < count; n++) {
      Agreement a = agreements.get(r.nextInt(agreements.size()));
      List<OdsCode> providers = List.copyOf(a.providers());
      List<OdsCode> recipientOrgs = List.copyOf(a.recipients().keySet());
      OdsCode provider = r.nextInt(10) == 0 ? org(r) : providers.get(r.nextInt(providers.size()));
      OdsCode recipient =
          r.nextInt(10) == 0 ? org(r) : recipientOrgs.get(r.nextInt(recipientOrgs.size()));
      if (r.nextInt(20) == 0) {
        provider = HUB_PROVIDER;
        recipient = HUB_RECIPIENT;
      }
      if (r.nextInt(30) == 0) {
        recipient = provider;
      }
      List<String> roles =
          a.recipients().containsKey(recipient)
              ? List.copyOf(a.recipients().get(recipient))
              : ROLES;
      String role =
          r.nextInt(10) == 0
              ? ROLES.get(r.nextInt(ROLES.size()))
              : roles.get(r.nextInt(roles.size()));
      List<PurposeOfUse> purposes = List.copyOf(a.purposesOfUse());
      PurposeOfUse purpose =
          r.nextInt(8) == 0
              ? PurposeOfUse.of(allPurposes.get(r.nextInt(allPurposes.size())))
              : purposes.get(r.nextInt(purposes.size()));
      NhsNumber patient = person(r.nextInt(PEOPLE));
      Instant at =
          r.nextInt(10) == 0
              ? AT.minusSeconds(86_400L * r.nextInt(1_000))
              : AT.plusSeconds(60L * n);
      DecisionRequest q = DecisionRequest.of(recipient, role, purpose, patient, provider, at);
      if (r.nextInt(3) == 0) {
        q = q.withConsents(consents(r, a, q));
      }
      if (r.nextInt(4) == 0) {
        q = q.withEmergencyReason(Optional.of("collapsed in the waiting room"));
      }
      if (r.nextInt(8) == 0) {
        q = q.withRelationshipClaim(Optional.of("on the ward today"));
      }
      q = q.withFacts(facts(r, recipient));
      if (r.nextInt(4) == 0) {
        Map<String, Integer> used = new TreeMap<>();
        used.put(a.id(), r.nextInt(300));
        q = q.withReleasedToday(used);
      }
      if (r.nextInt(15) == 0) {
        q = q.withCohortSize(1 + r.nextInt(30_000));
      }
      if (r.nextInt(15) == 0) {
        q =
            q.withProviderHolds(
                r.nextBoolean()
                    ? Set.of(SensitiveCategory.CRIMINAL_OFFENCE)
                    : Set.of(SensitiveCategory.SEXUAL_HEALTH));
      }
      int special = r.nextInt(15);
      if (special == 0) {
        Set<FamilyRelationship> ways =
            r.nextBoolean()
                ? Set.of(FamilyRelationship.HOUSEHOLD)
                : Set.of(FamilyRelationship.PARENT_CHILD);
        q = q.withFamilyOf(ways, r.nextInt(4) == 0 ? Set.of("place-0") : Set.of(a.id()));
      } else if (special == 1) {
        EventKind[] kinds = EventKind.values();
        q = q.withEvent(kinds[r.nextInt(kinds.length)]);
      }
      requests.add(q);
    }
    return requests;
  }

  private List<Consent> consents(Random r, Agreement a, DecisionRequest q) {
    List<Consent> consents = new ArrayList<>();
    int n = 1 + r.nextInt(2);
    for (int k = 0; k < n; k++) {
      List<OdsCode> trusted = List.copyOf(a.consent().trustedIssuers());
      OdsCode issuer =
          trusted.isEmpty() || r.nextInt(5) == 0 ? org(r) : trusted.get(r.nextInt(trusted.size()));
      NhsNumber patient = r.nextInt(6) == 0 ? person(r.nextInt(PEOPLE)) : q.patient();
      Set<OdsCode> recipients = r.nextInt(6) == 0 ? Set.of(org(r)) : Set.of(q.recipient());
      Set<PurposeOfUse> purposes =
          r.nextInt(6) == 0 ? Set.of(PurposeOfUse.of("COC")) : Set.of(q.purpose());
      Set<String> scopes =
          switch (r.nextInt(4)) {
            case 0 -> Set.of("Condition");
            case 1 -> Set.of("Flag", "Observation");
            default -> Set.of(Consent.ALL_DATA);
          };
      Instant notBefore = AT.minusSeconds(86_400L * (r.nextInt(5) == 0 ? -30 : 300));
      Instant expires = notBefore.plusSeconds(86_400L * 365 * (1 + r.nextInt(2)));
      consents.add(
          new Consent(
              "consent-" + r.nextInt(1_000_000),
              issuer,
              patient,
              recipients,
              purposes,
              scopes,
              ConsentMethod.values()[r.nextInt(ConsentMethod.values().length)],
              "user-" + r.nextInt(100),
              notBefore,
              expires));
    }
    return consents;
  }

  private PatientFacts facts(Random r, OdsCode recipient) {
    Set<CareRelationship> relationships = new LinkedHashSet<>();
    if (r.nextInt(3) == 0) {
      relationships.add(new CareRelationship(recipient, RelationshipKind.REGISTERED_GP));
    }
    if (r.nextInt(5) == 0) {
      relationships.add(new CareRelationship(org(r), RelationshipKind.EPISODE_OF_CARE));
    }
    return new PatientFacts(
        r.nextInt(12) == 0,
        r.nextInt(15) == 0,
        r.nextInt(3) == 0
            ? Optional.empty()
            : Optional.of(DISTRICTS.get(r.nextInt(DISTRICTS.size()))),
        relationships);
  }
}
