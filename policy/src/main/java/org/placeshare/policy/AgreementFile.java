package org.placeshare.policy;

import java.math.BigDecimal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Currency;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.placeshare.policy.StrictYaml.Fields;
import org.placeshare.policy.StrictYaml.Problems;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads one agreement policy file (YAML, documented in docs/agreements.md). Strict: unknown keys,
 * wrong types, bad dates, unknown codes and contradictions are refused, every problem listed as
 * {@code file:line:column: key: expected X, got Y (hint: ...)}.
 */
public final class AgreementFile {

  /** Policy files are written by people; anything larger is a mistake or an attack. */
  public static final int MAX_FILE_BYTES = 64 * 1024;

  private static final int MAX_LIST_ENTRIES = 200;

  /** A pilot cohort is small by definition; a larger one is a live service. */
  static final int MAX_PILOT_COHORT = 10_000;

  private static final Pattern ID_FORM = Pattern.compile("[a-z0-9][a-z0-9-]{1,63}");
  private static final Pattern ROLE_FORM = Pattern.compile("[a-z][a-z0-9-]{1,63}");
  private static final Pattern ELEMENT_FORM =
      Pattern.compile("[A-Z][A-Za-z]{1,63}(\\.[a-z][A-Za-z0-9]{0,63}){1,4}");
  private static final Pattern SYSTEM_FORM = Pattern.compile("(https?|urn):[\\x21-\\x7e]{1,250}");
  private static final Pattern CODE_FORM = Pattern.compile("[\\x21-\\x7e]{1,64}");
  private static final Pattern DISTRICT_FORM = Pattern.compile("[A-Z]{1,2}[0-9][0-9A-Z]?");
  private static final Pattern AMOUNT_FORM = Pattern.compile("[0-9]{1,13}(\\.[0-9]{1,2})?");
  private static final Set<String> ARTICLE_6 = lettered("6(1)(", 'a', 'f');
  private static final Set<String> ARTICLE_9 = lettered("9(2)(", 'a', 'j');
  private static final Set<String> CONFIDENTIALITY = Set.of("L", "M", "N", "R", "U", "V");

  private static final Set<String> TOP_KEYS =
      Set.of(
          "id",
          "version",
          "title",
          "status",
          "effective",
          "expires",
          "review",
          "signatories",
          "purpose",
          "providers",
          "recipients",
          "purposesOfUse",
          "localPurposes",
          "lawfulBasis",
          "data",
          "obligations",
          "consent",
          "nationalOptOut",
          "restrictedRecords",
          "emergency",
          "relationship",
          "pilot",
          "cohortExport",
          "businessCase",
          "tracing",
          "family",
          "notifications",
          "audit");

  private AgreementFile() {}

  /**
   * Parses and validates one policy file.
   *
   * @param name the file name, used in messages
   * @throws PolicyException listing every problem found, one per line
   */
  public static Agreement parse(String name, byte[] bytes) {
    return parse(name, bytes, null);
  }

  /** As {@link #parse(String, byte[])}, for a caller that has hashed the bytes already. */
  static Agreement parse(String name, byte[] bytes, String sha256) {
    Node root = StrictYaml.parse(name, bytes, MAX_FILE_BYTES);
    Problems problems = new Problems(name);
    Optional<Fields> top = Fields.open(root, "", problems, TOP_KEYS);
    String hash = sha256 == null ? sha256(bytes) : sha256;
    Agreement agreement = top.map(f -> new Reading(f, problems).agreement(hash)).orElse(null);
    problems.throwIfAny();
    return agreement;
  }

  /** Reads one file's fields, collecting every problem so an IG lead can fix them in one pass. */
  private static final class Reading {
    private final Fields top;
    private final Problems problems;

    Reading(Fields top, Problems problems) {
      this.top = top;
      this.problems = problems;
    }

    Agreement agreement(String sha256) {
      String id = matching(top, "id", ID_FORM, "lower-case letters, digits and hyphens");
      int version = whole(top, "version", 1, 100_000);
      String title = top.text("title");
      AgreementStatus status =
          code(
              top,
              "status",
              s -> enumOf(AgreementStatus.class, s),
              "draft, pilot, active, suspended, expired");
      LocalDate effective = date(top, "effective");
      LocalDate expires = date(top, "expires");
      LocalDate review = date(top, "review");
      if (effective != null && expires != null && !expires.isAfter(effective)) {
        problems.add(
            top.get("expires"),
            "expires",
            "a date after effective (" + effective + ")",
            "'" + expires + "'");
      }
      if (review != null && expires != null && review.isAfter(expires)) {
        problems.add(
            top.get("review"),
            "review",
            "a date on or before expires (" + expires + ")",
            "'" + review + "'");
      }
      List<Signatory> signatories = signatories();
      if (signatories.isEmpty()
          && status != null
          && status.permitsSharing()
          && !top.has("signatories")) {
        problems.add(
            top.node(),
            "signatories",
            "at least one signatory when status is " + lower(status),
            "none",
            "an agreement shares nothing until its parties have signed it");
      }
      Agreement.Purpose purpose = purpose();
      Set<OdsCode> providers = odsCodes(top, "providers");
      Map<OdsCode, Set<String>> recipients = recipients();
      Map<String, String> localPurposes = localPurposes();
      Set<PurposeOfUse> purposes = purposes(localPurposes);
      LawfulBasis lawfulBasis = lawfulBasis(purposes);
      Set<String> types = new LinkedHashSet<>();
      List<CodeNarrowing> narrowing = new ArrayList<>();
      Set<SensitiveCategory> sensitive = EnumSet.noneOf(SensitiveCategory.class);
      data(types, narrowing, sensitive);
      ConsentTerms consent = consent();
      boolean directCareOnly =
          !purposes.isEmpty() && purposes.stream().allMatch(PurposeOfUse::isDirectCare);
      boolean anyDirectCare = purposes.stream().anyMatch(PurposeOfUse::isDirectCare);
      boolean optOutApplies = optOut(lawfulBasis, anyDirectCare);
      boolean releasesRestricted = restricted(directCareOnly);
      boolean emergency = emergency(consent, purposes);
      RelationshipRule relationship = relationship();
      Optional<Pilot> pilot = pilot(status);
      int retainYears =
          top.map("audit", Set.of("retainYears"))
              .map(a -> whole(a, "retainYears", 1, 100))
              .orElse(0);
      // Absent: people one at a time only. A bulk export is a different sharing, agreed as such.
      OptionalInt cohortExport =
          top.optionalMap("cohortExport", Set.of("maxMembers"))
              .map(c -> OptionalInt.of(whole(c, "maxMembers", 1, 1_000_000)))
              .orElse(OptionalInt.empty());
      Optional<BusinessCase> businessCase = businessCase();
      boolean tracing = tracing();
      Optional<FamilyClause> family = family(types, purposes);
      List<NotificationClause> notifications = notifications(recipients, purposes);
      if (lawfulBasis != null && consent != null) {
        crossCheck(lawfulBasis, consent);
      }
      Obligations obligations = obligations(types, narrowing, sensitive, id);
      if (!problems.isEmpty()) {
        return null;
      }
      return new Agreement(
          id,
          version,
          title,
          status,
          effective,
          expires,
          review,
          signatories,
          purpose,
          providers,
          recipients,
          purposes,
          localPurposes,
          lawfulBasis,
          sensitive,
          obligations,
          consent,
          optOutApplies,
          releasesRestricted,
          emergency,
          relationship,
          pilot,
          retainYears,
          cohortExport,
          businessCase,
          tracing,
          family,
          notifications,
          sha256);
    }

    /**
     * {@code tracing: permitted} lets the recipients find NHS numbers from demographics (Patient
     * $match); absent or {@code not-permitted}, they may not. Tracing discloses who is known to the
     * index, so it is agreed explicitly.
     */
    private boolean tracing() {
      Boolean permitted =
          code(
              top,
              "tracing",
              s ->
                  switch (s) {
                    case "permitted" -> Boolean.TRUE;
                    case "not-permitted" -> Boolean.FALSE;
                    default -> null;
                  },
              "permitted or not-permitted",
              true);
      return Boolean.TRUE.equals(permitted);
    }

    /**
     * {@code family:} the other members of the person's family this agreement releases: which
     * relationships, which of their types (within {@code data.resourceTypes}) and for which
     * purposes (within {@code purposesOfUse}). Absent, no other member is ever released; so each
     * list is required, since an empty one would be a clause that releases nothing.
     */
    private Optional<FamilyClause> family(Set<String> types, Set<PurposeOfUse> purposes) {
      return top.optionalMap("family", Set.of("relationships", "resourceTypes", "purposesOfUse"))
          .map(
              f -> {
                Set<FamilyRelationship> relationships = EnumSet.noneOf(FamilyRelationship.class);
                for (Node node : f.list("relationships", FamilyRelationship.values().length)) {
                  code(
                          node,
                          f.path("relationships"),
                          s -> FamilyRelationship.of(s).orElse(null),
                          "household or parent-child")
                      .ifPresent(relationships::add);
                }
                Set<String> memberTypes = new LinkedHashSet<>();
                for (Node node : f.list("resourceTypes", MAX_LIST_ENTRIES)) {
                  String type = StrictYaml.scalar(node, f.path("resourceTypes"), problems);
                  if (type != null && !types.contains(type)) {
                    problems.add(
                        node,
                        f.path("resourceTypes"),
                        "a type listed in data.resourceTypes",
                        "'" + type + "'",
                        "a member's records never go beyond what the agreement shares");
                  } else if (type != null) {
                    memberTypes.add(type);
                  }
                }
                Set<PurposeOfUse> memberPurposes = new LinkedHashSet<>();
                for (Node node : f.list("purposesOfUse", MAX_LIST_ENTRIES)) {
                  String code = StrictYaml.scalar(node, f.path("purposesOfUse"), problems);
                  if (code == null) {
                    continue;
                  }
                  Optional<PurposeOfUse> named =
                      purposes.stream().filter(p -> p.code().equals(code)).findFirst();
                  if (named.isEmpty()) {
                    problems.add(
                        node,
                        f.path("purposesOfUse"),
                        "a purpose listed in purposesOfUse",
                        "'" + code + "'");
                  } else {
                    memberPurposes.add(named.get());
                  }
                }
                return new FamilyClause(relationships, memberTypes, memberPurposes);
              });
    }

    /**
     * {@code notifications:} which event kinds may flow to which of the agreement's recipients, in
     * which of their roles, for which of its purposes. Absent, nothing is ever notified under it.
     * Each entry stays within the agreement: a recipient it names, that recipient's roles, its
     * purposes; every list is required, since an empty one would notify nothing.
     */
    private List<NotificationClause> notifications(
        Map<OdsCode, Set<String>> recipients, Set<PurposeOfUse> purposes) {
      List<NotificationClause> clauses = new ArrayList<>();
      List<Node> nodes = top.optionalList("notifications", MAX_LIST_ENTRIES);
      for (int i = 0; i < nodes.size(); i++) {
        Fields.open(
                nodes.get(i),
                "notifications[" + i + "]",
                problems,
                Set.of("organisation", "roles", "kinds", "purposesOfUse"))
            .ifPresent(f -> notification(f, recipients, purposes).ifPresent(clauses::add));
      }
      return clauses;
    }

    private Optional<NotificationClause> notification(
        Fields f, Map<OdsCode, Set<String>> recipients, Set<PurposeOfUse> purposes) {
      OdsCode org = odsCode(f, "organisation");
      Set<String> allowedRoles = org == null ? Set.of() : recipients.get(org);
      if (org != null && allowedRoles == null) {
        problems.add(
            f.get("organisation"),
            f.path("organisation"),
            "a recipient listed under recipients",
            "'" + org + "'",
            "a notification goes only to a party the agreement shares with");
      }
      Set<String> roles = new LinkedHashSet<>();
      for (Node node : f.list("roles", MAX_LIST_ENTRIES)) {
        String role = StrictYaml.scalar(node, f.path("roles"), problems);
        if (role != null && allowedRoles != null && !allowedRoles.contains(role)) {
          problems.add(
              node,
              f.path("roles"),
              "a role " + org + " has under recipients " + allowedRoles.stream().sorted().toList(),
              "'" + role + "'");
        } else if (role != null) {
          roles.add(role);
        }
      }
      Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
      for (Node node : f.list("kinds", EventKind.values().length)) {
        code(
                node,
                f.path("kinds"),
                s -> EventKind.of(s).orElse(null),
                "address-changed, died, gp-changed, care-episode-opened, care-episode-closed or"
                    + " safeguarding-concern")
            .ifPresent(kinds::add);
      }
      Set<PurposeOfUse> notified = new LinkedHashSet<>();
      for (Node node : f.list("purposesOfUse", MAX_LIST_ENTRIES)) {
        String code = StrictYaml.scalar(node, f.path("purposesOfUse"), problems);
        if (code == null) {
          continue;
        }
        Optional<PurposeOfUse> named =
            purposes.stream().filter(p -> p.code().equals(code)).findFirst();
        if (named.isEmpty()) {
          problems.add(
              node, f.path("purposesOfUse"), "a purpose listed in purposesOfUse", "'" + code + "'");
        } else {
          notified.add(named.get());
        }
      }
      if (org == null || allowedRoles == null) {
        return Optional.empty();
      }
      return Optional.of(new NotificationClause(org, roles, kinds, notified));
    }

    /** Optional; when present, at least one entry, each a short text with an optional amount. */
    private Optional<BusinessCase> businessCase() {
      Set<String> lists = Set.of("costs", "expectedSavings", "measures");
      return top.optionalMap("businessCase", lists)
          .map(
              f -> {
                if (lists.stream().noneMatch(f::has)) {
                  problems.add(
                      f.node(),
                      "businessCase",
                      "at least one of costs, expectedSavings or measures",
                      "none",
                      "leave the block out if the parties have not stated them");
                }
                return new BusinessCase(
                    items(f, "costs"), items(f, "expectedSavings"), items(f, "measures"));
              });
    }

    private List<BusinessCase.Item> items(Fields f, String key) {
      List<BusinessCase.Item> items = new ArrayList<>();
      List<Node> nodes = f.optionalList(key, BusinessCase.MAX_ITEMS);
      for (int i = 0; i < nodes.size(); i++) {
        Fields.open(
                nodes.get(i),
                f.path(key) + "[" + i + "]",
                problems,
                Set.of("text", "amount", "currency", "period"))
            .ifPresent(e -> item(e).ifPresent(items::add));
      }
      return items;
    }

    private Currency currency(Fields e) {
      String text = e.optionalText("currency");
      if (text == null) {
        return null;
      }
      try {
        if (text.matches("[A-Z]{3}")) {
          return Currency.getInstance(text);
        }
      } catch (IllegalArgumentException x) {
        // reported below
      }
      problems.add(
          e.get("currency"),
          e.path("currency"),
          "an ISO 4217 currency code such as GBP",
          "'" + text + "'");
      return null;
    }

    private Optional<BusinessCase.Item> item(Fields e) {
      String text = e.text("text");
      if (text != null
          && (text.length() > BusinessCase.MAX_TEXT
              || text.chars().anyMatch(Character::isISOControl))) {
        problems.add(
            e.get("text"),
            e.path("text"),
            "a text on one line of at most " + BusinessCase.MAX_TEXT + " characters",
            text.length()
                + " characters"
                + (text.chars().anyMatch(Character::isISOControl) ? " with a line break" : ""));
        text = null;
      }
      String amount = e.optionalText("amount");
      BigDecimal value = null;
      if (amount != null) {
        if (AMOUNT_FORM.matcher(amount).matches()
            && new BigDecimal(amount).compareTo(BusinessCase.MAX_AMOUNT) <= 0) {
          value = new BigDecimal(amount);
        } else {
          problems.add(
              e.get("amount"),
              e.path("amount"),
              "a sum from 0 to "
                  + BusinessCase.MAX_AMOUNT.toPlainString()
                  + " with at most two decimal places",
              "'" + amount + "'");
        }
      }
      Currency currency = currency(e);
      BusinessCase.Period period =
          code(
              e,
              "period",
              s -> enumOf(BusinessCase.Period.class, s),
              "once, month, quarter or year",
              true);
      if (amount != null && !e.has("currency")) {
        problems.add(
            e.node(),
            e.path("currency"),
            "a currency with an amount",
            "none",
            "GBP for pounds sterling");
      }
      for (String key : List.of("currency", "period")) {
        if (amount == null && e.has(key)) {
          problems.add(
              e.get(key),
              e.path(key),
              "no " + key + " without an amount",
              "'" + e.optionalText(key) + "'");
        }
      }
      if (text == null || (amount != null && (value == null || currency == null))) {
        return Optional.empty();
      }
      return Optional.of(
          new BusinessCase.Item(
              text,
              value == null
                  ? Optional.empty()
                  : Optional.of(
                      new BusinessCase.Amount(value, currency, Optional.ofNullable(period)))));
    }

    private List<Signatory> signatories() {
      List<Signatory> signatories = new ArrayList<>();
      List<Node> nodes = top.optionalList("signatories", MAX_LIST_ENTRIES);
      for (int i = 0; i < nodes.size(); i++) {
        Fields.open(
                nodes.get(i),
                "signatories[" + i + "]",
                problems,
                Set.of("organisation", "name", "role", "date"))
            .ifPresent(
                f -> {
                  OdsCode org = odsCode(f, "organisation");
                  String name = f.text("name");
                  String role = f.text("role");
                  LocalDate date = date(f, "date");
                  if (org != null && name != null && role != null && date != null) {
                    signatories.add(new Signatory(org, name, role, date));
                  }
                });
      }
      return signatories;
    }

    private Agreement.Purpose purpose() {
      return top.map("purpose", Set.of("problem", "resolves", "benefit"))
          .map(f -> new Agreement.Purpose(f.text("problem"), f.text("resolves"), f.text("benefit")))
          .orElse(null);
    }

    private Map<OdsCode, Set<String>> recipients() {
      Map<OdsCode, Set<String>> recipients = new LinkedHashMap<>();
      List<Node> nodes = top.list("recipients", MAX_LIST_ENTRIES);
      for (int i = 0; i < nodes.size(); i++) {
        Fields.open(
                nodes.get(i), "recipients[" + i + "]", problems, Set.of("organisation", "roles"))
            .ifPresent(
                f -> {
                  OdsCode org = odsCode(f, "organisation");
                  Set<String> roles = new LinkedHashSet<>();
                  for (Node role : f.list("roles", MAX_LIST_ENTRIES)) {
                    String text = StrictYaml.scalar(role, f.path("roles"), problems);
                    if (text != null && !ROLE_FORM.matcher(text).matches()) {
                      problems.add(
                          role,
                          f.path("roles"),
                          "a lower-case role name such as clinician",
                          StrictYaml.shown(role));
                    } else if (text != null) {
                      roles.add(text);
                    }
                  }
                  if (org != null && recipients.put(org, Set.copyOf(roles)) != null) {
                    problems.add(
                        f.get("organisation"),
                        f.path("organisation"),
                        "each organisation once",
                        "'" + org + "' again",
                        "list all of an organisation's roles in one entry");
                  }
                });
      }
      return recipients;
    }

    private Map<String, String> localPurposes() {
      Map<String, String> local = new LinkedHashMap<>();
      List<Node> nodes = top.optionalList("localPurposes", MAX_LIST_ENTRIES);
      for (int i = 0; i < nodes.size(); i++) {
        Fields.open(nodes.get(i), "localPurposes[" + i + "]", problems, Set.of("code", "display"))
            .ifPresent(
                f -> {
                  String code = f.text("code");
                  String display = f.text("display");
                  if (code == null || display == null) {
                    return;
                  }
                  try {
                    PurposeOfUse p = PurposeOfUse.of(code);
                    if (p.isHl7()) {
                      problems.add(
                          f.get("code"),
                          f.path("code"),
                          "a code that is not already an HL7 purpose of use",
                          "'" + code + "'",
                          "use " + code + " in purposesOfUse directly");
                    } else {
                      local.put(code, display);
                    }
                  } catch (PolicyException e) {
                    problems.add(
                        f.get("code"),
                        f.path("code"),
                        "an upper-case code of 2 to 32 characters",
                        "'" + code + "'");
                  }
                });
      }
      return local;
    }

    private Set<PurposeOfUse> purposes(Map<String, String> local) {
      Set<PurposeOfUse> purposes = new LinkedHashSet<>();
      for (Node node : top.list("purposesOfUse", MAX_LIST_ENTRIES)) {
        String code = StrictYaml.scalar(node, "purposesOfUse", problems);
        if (code == null) {
          continue;
        }
        if (PurposeOfUse.HL7.contains(code) || local.containsKey(code)) {
          purposes.add(PurposeOfUse.of(code));
        } else {
          problems.add(
              node,
              "purposesOfUse",
              "an HL7 PurposeOfUse code (TREAT, ETREAT, COC, PUBHLTH, HOPERAT, ...) or a code under localPurposes",
              "'" + code + "'",
              StrictYaml.nearest(code, PurposeOfUse.HL7)
                  .map(k -> "did you mean " + k + "?")
                  .orElse("define a local code under localPurposes"));
        }
      }
      return purposes;
    }

    private LawfulBasis lawfulBasis(Set<PurposeOfUse> purposes) {
      return top.map("lawfulBasis", Set.of("article6", "article9", "commonLaw"))
          .map(
              f -> {
                String a6 =
                    code(
                        f,
                        "article6",
                        s -> ARTICLE_6.contains(s) ? s : null,
                        "one of 6(1)(a) to 6(1)(f)");
                String a9 =
                    code(
                        f,
                        "article9",
                        s -> ARTICLE_9.contains(s) ? s : null,
                        "one of 9(2)(a) to 9(2)(j), since health data is special category data");
                LawfulBasis.CommonLaw cl =
                    code(
                        f,
                        "commonLaw",
                        s -> LawfulBasis.CommonLaw.of(s).orElse(null),
                        "consent, implied-consent-direct-care, legal-obligation, s251-support or overriding-public-interest");
                if (cl == LawfulBasis.CommonLaw.IMPLIED_CONSENT_DIRECT_CARE
                    && !purposes.stream().allMatch(PurposeOfUse::isDirectCare)) {
                  problems.add(
                      f.get("commonLaw"),
                      f.path("commonLaw"),
                      "a basis other than implied consent when a purpose is not direct care",
                      "'implied-consent-direct-care'",
                      "implied consent covers an individual's own care only");
                }
                return a6 == null || a9 == null || cl == null ? null : new LawfulBasis(a6, a9, cl);
              })
          .orElse(null);
    }

    /** {@code data.otherPeople: release}: other people's details may leave (never NHS numbers). */
    private boolean otherPeople;

    private void data(
        Set<String> types, List<CodeNarrowing> narrowing, Set<SensitiveCategory> sensitive) {
      top.map("data", Set.of("resourceTypes", "codes", "sensitive", "otherPeople"))
          .ifPresent(
              f -> {
                // Absent: withheld. Naming other people is a decision about them, made explicitly.
                otherPeople =
                    Boolean.TRUE.equals(
                        code(
                            f,
                            "otherPeople",
                            s ->
                                switch (s) {
                                  case "withhold" -> Boolean.FALSE;
                                  case "release" -> Boolean.TRUE;
                                  default -> null;
                                },
                            "withhold or release",
                            true));
                for (Node node : f.list("resourceTypes", MAX_LIST_ENTRIES)) {
                  String type = StrictYaml.scalar(node, f.path("resourceTypes"), problems);
                  if (type != null && !FhirResourceTypes.R4.contains(type)) {
                    problems.add(
                        node,
                        f.path("resourceTypes"),
                        "a FHIR R4 resource type",
                        "'" + type + "'",
                        StrictYaml.nearest(type, FhirResourceTypes.R4)
                            .map(k -> "did you mean " + k + "?")
                            .orElse(null));
                  } else if (type != null) {
                    types.add(type);
                  }
                }
                List<Node> codes = f.optionalList("codes", MAX_LIST_ENTRIES);
                for (int i = 0; i < codes.size(); i++) {
                  Fields.open(
                          codes.get(i),
                          f.path("codes") + "[" + i + "]",
                          problems,
                          Set.of("resourceType", "system", "codes"))
                      .ifPresent(
                          c -> {
                            String type = c.text("resourceType");
                            if (type != null && !types.contains(type)) {
                              problems.add(
                                  c.get("resourceType"),
                                  c.path("resourceType"),
                                  "a type listed in data.resourceTypes",
                                  "'" + type + "'");
                            }
                            String system =
                                matching(
                                    c,
                                    "system",
                                    SYSTEM_FORM,
                                    "a code system URI such as http://snomed.info/sct");
                            Set<String> values = new LinkedHashSet<>();
                            for (Node v : c.list("codes", 5_000)) {
                              String code = StrictYaml.scalar(v, c.path("codes"), problems);
                              if (code != null && !CODE_FORM.matcher(code).matches()) {
                                problems.add(
                                    v,
                                    c.path("codes"),
                                    "a code of printable characters without spaces",
                                    StrictYaml.shown(v));
                              } else if (code != null) {
                                values.add(code);
                              }
                            }
                            if (type != null && system != null && !values.isEmpty()) {
                              narrowing.add(new CodeNarrowing(type, system, values));
                            }
                          });
                }
                for (Node node : f.optionalList("sensitive", SensitiveCategory.values().length)) {
                  code(
                          node,
                          f.path("sensitive"),
                          s -> SensitiveCategory.of(s).orElse(null),
                          "sexual-health, fertility, gender-reassignment or termination-of-pregnancy")
                      .ifPresent(sensitive::add);
                }
              });
    }

    private Obligations obligations(
        Set<String> types,
        List<CodeNarrowing> narrowing,
        Set<SensitiveCategory> sensitive,
        String id) {
      Set<String> remove = new LinkedHashSet<>();
      Map<String, Generalisation> generalise = new LinkedHashMap<>();
      boolean[] pseudonymise = {false};
      String[] confidentiality = {null};
      top.optionalMap(
              "obligations", Set.of("remove", "generalise", "pseudonymise", "confidentiality"))
          .ifPresent(
              f -> {
                for (Node node : f.optionalList("remove", MAX_LIST_ENTRIES)) {
                  element(node, f.path("remove"), types).ifPresent(remove::add);
                }
                List<Node> gen = f.optionalList("generalise", MAX_LIST_ENTRIES);
                for (int i = 0; i < gen.size(); i++) {
                  Fields.open(
                          gen.get(i),
                          f.path("generalise") + "[" + i + "]",
                          problems,
                          Set.of("element", "to"))
                      .ifPresent(
                          g -> {
                            Optional<String> element =
                                g.get("element") == null
                                    ? Optional.ofNullable(g.text("element"))
                                    : element(g.get("element"), g.path("element"), types);
                            Generalisation to =
                                code(
                                    g,
                                    "to",
                                    s -> Generalisation.of(s).orElse(null),
                                    "year or district");
                            if (to == Generalisation.DISTRICT
                                && element.isPresent()
                                && !element.get().endsWith("postalCode")) {
                              problems.add(
                                  g.get("to"),
                                  g.path("to"),
                                  "district only on a postalCode element",
                                  "'district' for " + element.get());
                            }
                            if (element.isPresent() && to != null) {
                              generalise.put(element.get(), to);
                            }
                          });
                }
                pseudonymise[0] = bool(f, "pseudonymise", false);
                confidentiality[0] =
                    f.has("confidentiality")
                        ? code(
                            f,
                            "confidentiality",
                            s -> CONFIDENTIALITY.contains(s) ? s : null,
                            "an HL7 Confidentiality code: L, M, N, R, U or V")
                        : null;
              });
      SensitiveCodes codes = SensitiveCodes.bundled();
      return new Obligations(
          types,
          narrowing,
          codes.excludedUnless(sensitive),
          codes.version(),
          remove,
          generalise,
          pseudonymise[0] ? Optional.ofNullable(id) : Optional.empty(),
          Optional.ofNullable(confidentiality[0]),
          otherPeople);
    }

    private Optional<String> element(Node node, String path, Set<String> types) {
      String text = StrictYaml.scalar(node, path, problems);
      if (text == null) {
        return Optional.empty();
      }
      if (!ELEMENT_FORM.matcher(text).matches()) {
        problems.add(
            node, path, "an element path such as Patient.birthDate", StrictYaml.shown(node));
        return Optional.empty();
      }
      String type = text.substring(0, text.indexOf('.'));
      if (!types.contains(type)) {
        problems.add(node, path, "an element of a type in data.resourceTypes", "'" + text + "'");
        return Optional.empty();
      }
      return Optional.of(text);
    }

    private ConsentTerms consent() {
      return top.map("consent", Set.of("rule", "issuers"))
          .map(
              f -> {
                ConsentRule rule =
                    code(
                        f,
                        "rule",
                        s ->
                            switch (s) {
                              case "none" -> ConsentRule.NONE;
                              case "required" -> ConsentRule.REQUIRED;
                              case "required-or-emergency" -> ConsentRule.REQUIRED_OR_EMERGENCY;
                              default -> null;
                            },
                        "none, required or required-or-emergency");
                Set<OdsCode> issuers = f.has("issuers") ? odsCodes(f, "issuers") : Set.of();
                if (rule != null
                    && rule != ConsentRule.NONE
                    && issuers.isEmpty()
                    && !f.has("issuers")) {
                  problems.add(
                      f.node(),
                      f.path("issuers"),
                      "the consent recorders trusted (ODS codes) when consent is "
                          + rule.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                      "none");
                }
                if (rule == ConsentRule.NONE && !issuers.isEmpty()) {
                  problems.add(
                      f.get("issuers"),
                      f.path("issuers"),
                      "no issuers when consent is none",
                      issuers.size() + " issuers");
                }
                return rule == null ? null : new ConsentTerms(rule, issuers);
              })
          .orElse(null);
    }

    private boolean optOut(LawfulBasis basis, boolean anyDirectCare) {
      Boolean applied =
          code(
              top,
              "nationalOptOut",
              s ->
                  switch (s) {
                    case "applied" -> Boolean.TRUE;
                    case "not-applied" -> Boolean.FALSE;
                    default -> null;
                  },
              "applied or not-applied",
              true);
      if (applied == null) {
        return true;
      }
      if (!applied
          && !anyDirectCare
          && basis != null
          && basis.commonLaw() != LawfulBasis.CommonLaw.LEGAL_OBLIGATION
          && basis.commonLaw() != LawfulBasis.CommonLaw.S251_SUPPORT) {
        problems.add(
            top.get("nationalOptOut"),
            "nationalOptOut",
            "applied, since no purpose is direct care and the basis is not a legal obligation or s251 support",
            "'not-applied'",
            "the national data opt-out must be honoured for planning and research");
      }
      return applied;
    }

    private boolean restricted(boolean directCareOnly) {
      Boolean release =
          code(
              top,
              "restrictedRecords",
              s ->
                  switch (s) {
                    case "withhold" -> Boolean.FALSE;
                    case "release" -> Boolean.TRUE;
                    default -> null;
                  },
              "withhold or release",
              true);
      if (Boolean.TRUE.equals(release) && !directCareOnly) {
        problems.add(
            top.get("restrictedRecords"),
            "restrictedRecords",
            "withhold unless every purpose is direct care",
            "'release'",
            "restricted (S-flag) records may only be released for a person's own care");
        return false;
      }
      return Boolean.TRUE.equals(release);
    }

    private boolean emergency(ConsentTerms consent, Set<PurposeOfUse> purposes) {
      boolean allowed =
          top.optionalMap("emergency", Set.of("allowed"))
              .map(f -> bool(f, "allowed", false))
              .orElse(false);
      if (consent == null) {
        return allowed;
      }
      if (allowed && consent.rule() != ConsentRule.REQUIRED_OR_EMERGENCY) {
        problems.add(
            top.get("emergency"),
            "emergency.allowed",
            "false unless consent.rule is required-or-emergency",
            "true");
      }
      if (allowed && !purposes.contains(PurposeOfUse.EMERGENCY_TREATMENT)) {
        problems.add(
            top.get("emergency"),
            "emergency.allowed",
            "ETREAT among purposesOfUse when emergency is allowed",
            "true");
      }
      if (consent.rule() == ConsentRule.REQUIRED_OR_EMERGENCY && !allowed && top.has("emergency")) {
        problems.add(
            top.get("emergency"),
            "emergency.allowed",
            "true when consent.rule is required-or-emergency",
            "false");
      }
      return allowed;
    }

    private RelationshipRule relationship() {
      return top.optionalMap("relationship", Set.of("required", "accepted", "selfClaim"))
          .map(
              f -> {
                boolean required = bool(f, "required", true);
                Set<RelationshipKind> accepted = EnumSet.noneOf(RelationshipKind.class);
                List<Node> kinds =
                    required
                        ? f.list("accepted", RelationshipKind.values().length)
                        : f.optionalList("accepted", 3);
                for (Node node : kinds) {
                  code(
                          node,
                          f.path("accepted"),
                          s -> RelationshipKind.of(s).orElse(null),
                          "registered-gp, episode-of-care or encounter")
                      .ifPresent(accepted::add);
                }
                Boolean selfClaim =
                    code(
                        f,
                        "selfClaim",
                        s ->
                            switch (s) {
                              case "allowed" -> Boolean.TRUE;
                              case "refused" -> Boolean.FALSE;
                              default -> null;
                            },
                        "allowed or refused",
                        true);
                return new RelationshipRule(required, accepted, Boolean.TRUE.equals(selfClaim));
              })
          .orElse(RelationshipRule.NOT_REQUIRED);
    }

    private Optional<Pilot> pilot(AgreementStatus status) {
      return top.optionalMap(
              "pilot", Set.of("cohort", "postcodeDistricts", "dailyVolume", "monitorOnly"))
          .map(
              f -> {
                if (status != null && status != AgreementStatus.PILOT) {
                  problems.add(
                      top.get("pilot"),
                      "pilot",
                      "no pilot limits unless status is pilot",
                      "status " + lower(status),
                      "remove the pilot block when the agreement goes live");
                }
                Set<NhsNumber> cohort = new LinkedHashSet<>();
                for (Node node : f.optionalList("cohort", MAX_PILOT_COHORT)) {
                  String text = StrictYaml.scalar(node, f.path("cohort"), problems);
                  if (text != null) {
                    try {
                      cohort.add(NhsNumber.parse(text));
                    } catch (InvalidNhsNumberException e) {
                      problems.add(
                          node, f.path("cohort"), "a valid NHS number", StrictYaml.shown(node));
                    }
                  }
                }
                Set<String> districts = new LinkedHashSet<>();
                for (Node node : f.optionalList("postcodeDistricts", MAX_LIST_ENTRIES)) {
                  String text = StrictYaml.scalar(node, f.path("postcodeDistricts"), problems);
                  if (text != null && !DISTRICT_FORM.matcher(text).matches()) {
                    problems.add(
                        node,
                        f.path("postcodeDistricts"),
                        "a postcode district such as CV1",
                        StrictYaml.shown(node));
                  } else if (text != null) {
                    districts.add(text);
                  }
                }
                OptionalInt volume =
                    f.has("dailyVolume")
                        ? OptionalInt.of(whole(f, "dailyVolume", 1, 1_000_000))
                        : OptionalInt.empty();
                return new Pilot(cohort, districts, volume, bool(f, "monitorOnly", false));
              });
    }

    private void crossCheck(LawfulBasis basis, ConsentTerms consent) {
      if (basis.commonLaw() == LawfulBasis.CommonLaw.CONSENT
          && consent.rule() == ConsentRule.NONE) {
        problems.add(
            top.get("consent"),
            "consent.rule",
            "required or required-or-emergency when the common-law basis is consent",
            "'none'");
      }
    }

    // --- small readers ---

    private String matching(Fields f, String key, Pattern form, String expected) {
      String text = f.text(key);
      if (text != null && !form.matcher(text).matches()) {
        problems.add(f.get(key), f.path(key), expected, StrictYaml.shown(f.get(key)));
        return null;
      }
      return text;
    }

    private int whole(Fields f, String key, int min, int max) {
      String text = f.text(key);
      if (text == null) {
        return 0;
      }
      try {
        int value = Integer.parseInt(text);
        if (value >= min && value <= max) {
          return value;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      problems.add(
          f.get(key), f.path(key), "a whole number from " + min + " to " + max, "'" + text + "'");
      return 0;
    }

    private boolean bool(Fields f, String key, boolean absent) {
      String text = f.optionalText(key);
      if (text == null) {
        return absent;
      }
      if (!text.equals("true") && !text.equals("false")) {
        problems.add(f.get(key), f.path(key), "true or false", "'" + text + "'");
        return absent;
      }
      return Boolean.parseBoolean(text);
    }

    private LocalDate date(Fields f, String key) {
      String text = f.text(key);
      if (text == null) {
        return null;
      }
      try {
        return LocalDate.parse(text);
      } catch (DateTimeParseException e) {
        problems.add(f.get(key), f.path(key), "a date as YYYY-MM-DD", "'" + text + "'");
        return null;
      }
    }

    private <T> T code(Fields f, String key, Function<String, T> lookup, String expected) {
      return code(f, key, lookup, expected, false);
    }

    private <T> T code(
        Fields f, String key, Function<String, T> lookup, String expected, boolean optional) {
      String text = optional ? f.optionalText(key) : f.text(key);
      if (text == null) {
        return null;
      }
      T value = lookup.apply(text);
      if (value == null) {
        problems.add(f.get(key), f.path(key), "one of " + expected, "'" + text + "'");
      }
      return value;
    }

    private <T> Optional<T> code(
        Node node, String path, Function<String, T> lookup, String expected) {
      String text = StrictYaml.scalar(node, path, problems);
      if (text == null) {
        return Optional.empty();
      }
      T value = lookup.apply(text);
      if (value == null) {
        problems.add(node, path, "one of " + expected, "'" + text + "'");
      }
      return Optional.ofNullable(value);
    }

    private Set<OdsCode> odsCodes(Fields f, String key) {
      Set<OdsCode> codes = new LinkedHashSet<>();
      for (Node node : f.list(key, MAX_LIST_ENTRIES)) {
        OdsCode code = odsCode(node, f.path(key));
        if (code != null) {
          codes.add(code);
        }
      }
      return codes;
    }

    private OdsCode odsCode(Fields f, String key) {
      Node node = f.get(key);
      if (node == null) {
        f.text(key);
        return null;
      }
      return odsCode(node, f.path(key));
    }

    private OdsCode odsCode(Node node, String path) {
      String text = StrictYaml.scalar(node, path, problems);
      if (text == null) {
        return null;
      }
      try {
        return OdsCode.of(text);
      } catch (PolicyException e) {
        problems.add(
            node,
            path,
            "an ODS code of 3 to 10 upper-case letters or digits",
            StrictYaml.shown(node),
            text.toUpperCase(Locale.ROOT).equals(text)
                ? null
                : "ODS codes are upper case: " + text.toUpperCase(Locale.ROOT));
        return null;
      }
    }
  }

  private static <E extends Enum<E>> E enumOf(Class<E> type, String text) {
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(text)) {
        return e;
      }
    }
    return null;
  }

  private static String lower(AgreementStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  private static Set<String> lettered(String prefix, char first, char last) {
    Set<String> codes = new LinkedHashSet<>();
    for (char c = first; c <= last; c++) {
      codes.add(prefix + c + ")");
    }
    return Set.copyOf(codes);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
