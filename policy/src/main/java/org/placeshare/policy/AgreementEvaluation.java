package org.placeshare.policy;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One agreement's answer to one request: every check in a fixed order, each passed check said in
 * words, and the first failed one as the refusal. Pure: the request carries everything.
 *
 * <p>The words cost more than the checks, so they are written only when wanted ({@link Words}): the
 * outcome (permit, the kind of refusal, emergency, self-claim, consent, family clause) never
 * depends on them, so an evaluation without words answers exactly as one with them. A refusal's
 * words are kept unsaid ({@link Wording}) until read.
 */
final class AgreementEvaluation {

  /** Agreements run on English calendar days, whatever the server's zone. */
  static final ZoneId ENGLAND = ZoneId.of("Europe/London");

  final Agreement agreement;
  final List<String> passed;
  Refusal refusal;

  /** The refusal's words, said when read; null when the evaluation writes no words. */
  Wording refusalWording;

  boolean emergency;
  boolean selfClaimed;
  Consent consent;

  /** The family clause a member was permitted under; null when the person was asked about. */
  FamilyClause family;

  /** Which words an evaluation writes. */
  enum Words {
    /** None: only whether it permits, and why not as a kind. */
    NONE,
    /**
     * The refusal's words, for a deny that lists each agreement's refusal: kept as a {@link
     * Wording}, said only when the deny's reasons are read.
     */
    REFUSAL,
    /** Every passed check (said at once) and the refusal, for a permit's reasons. */
    ALL
  }

  /**
   * A refusal's words, not yet said: the refusal site and the few values it names (the agreement,
   * the request, a consent), all immutable, so saying them later gives the words that saying them
   * at once would have given. A deny among many agreements records one of these for each, and
   * strings are written only if the reasons are read.
   */
  @FunctionalInterface
  interface Wording {
    String say();
  }

  private final boolean sayPasses;
  private final boolean sayRefusal;
  private final LocalDate today;

  private AgreementEvaluation(Agreement agreement, Words words, LocalDate today) {
    this.agreement = agreement;
    this.sayPasses = words == Words.ALL;
    this.passed = sayPasses ? new ArrayList<>() : List.of();
    this.sayRefusal = words != Words.NONE;
    this.today = today;
  }

  /**
   * @param today the request's day ({@link DecisionRequest#day()}), worked out once for all the
   *     agreements a decision evaluates
   */
  static AgreementEvaluation of(
      Agreement agreement, DecisionRequest request, Words words, LocalDate today) {
    AgreementEvaluation e = new AgreementEvaluation(agreement, words, today);
    e.run(request);
    return e;
  }

  boolean permits() {
    return refusal == null;
  }

  private void run(DecisionRequest r) {
    boolean ok =
        inForce(today)
            && role(r)
            && purpose(r)
            && notification(r)
            && family(r)
            && sensitiveSource(r)
            && cohortExport(r)
            && cohort(r)
            && restricted(r)
            && optOut(r)
            && relationship(r)
            && consentOrEmergency(r)
            && volume(r);
    if (ok && agreement.monitorOnly()) {
      refuse(
          Refusal.MONITOR_ONLY, () -> "monitor-only pilot: would have permitted, nothing released");
    }
  }

  private boolean inForce(LocalDate today) {
    if (!agreement.status().permitsSharing()) {
      return refuse(Refusal.NOT_IN_FORCE, sayRefusal ? statusRefused(agreement) : null);
    }
    if (!agreement.datesCover(today)) {
      return refuse(
          Refusal.NOT_IN_FORCE, sayRefusal ? datesRefused(agreement, today::toString) : null);
    }
    return pass(sayPasses ? status(agreement) + " from " + dates() : null);
  }

  private static String status(Agreement agreement) {
    return agreement.status().name().toLowerCase(Locale.ROOT);
  }

  private String dates() {
    return agreement.effective() + " to " + agreement.expires();
  }

  private boolean role(DecisionRequest r) {
    if (!agreement.recipients().get(r.recipient()).contains(r.role())) {
      return refuse(Refusal.ROLE_NOT_ALLOWED, sayRefusal ? roleRefused(r) : null);
    }
    return pass(
        sayPasses
            ? r.recipient() + " is a recipient and role '" + r.role() + "' is allowed"
            : null);
  }

  private boolean purpose(DecisionRequest r) {
    if (!agreement.purposesOfUse().contains(r.purpose())) {
      return refuse(Refusal.PURPOSE_NOT_ALLOWED, sayRefusal ? purposeRefused(r) : null);
    }
    return pass(sayPasses ? "purpose " + r.purpose() + " is allowed" : null);
  }

  private static Wording statusRefused(Agreement agreement) {
    return () -> "status is " + status(agreement) + ", which permits nothing";
  }

  /**
   * @param today the request's day in words ({@code LocalDate.toString}), which the refusals of one
   *     deny share
   */
  private static Wording datesRefused(Agreement agreement, Wording today) {
    // The agreement's dates in the same concatenation, without a string of their own.
    return () ->
        "not in force on "
            + today.say()
            + " ("
            + agreement.effective()
            + " to "
            + agreement.expires()
            + ")";
  }

  private static Wording roleRefused(DecisionRequest r) {
    return () -> "role '" + r.role() + "' is not allowed for " + r.recipient();
  }

  private static Wording purposeRefused(DecisionRequest r) {
    return () -> "purpose " + r.purpose() + " is not allowed";
  }

  /**
   * One deny's refusals of the agreements that {@link PolicySet}'s index passed over for the
   * request's role and purpose: in a status that shares nothing, or not listing the role for the
   * recipient or the purpose. Such an agreement refuses at one of {@link #run}'s first checks, so
   * only those run, in the same order and with the same words, and no evaluation is made: a deny at
   * a pair many agreements name is mostly these. The words its refusals share (the role's, the
   * purpose's, the day's) are said once for the deny, however many agreements give them.
   */
  static final class OutsideAsk {
    private final DecisionRequest request;
    private final LocalDate today;
    private Wording role;
    private Wording purpose;
    private Wording day;

    OutsideAsk(DecisionRequest request, LocalDate today) {
      this.request = request;
      this.today = today;
    }

    /**
     * @param words where the refusal's words go, at {@code at}
     * @return the kind of refusal; null if the agreement passes those checks after all, when the
     *     caller evaluates it in full
     */
    Refusal refuse(Agreement agreement, Wording[] words, int at) {
      return refuse(
          agreement,
          agreement.recipients().get(request.recipient()).contains(request.role()),
          agreement.purposesOfUse().contains(request.purpose()),
          words,
          at);
    }

    /**
     * The same, told by the pair's tables whether the agreement lists the request's role for the
     * recipient and its purpose.
     */
    Refusal refuse(
        Agreement agreement, boolean listsRole, boolean listsPurpose, Wording[] words, int at) {
      if (!agreement.status().permitsSharing()) {
        words[at] = statusRefused(agreement);
        return Refusal.NOT_IN_FORCE;
      }
      if (!agreement.datesCover(today)) {
        if (day == null) {
          day = new SaidOnce(today::toString);
        }
        words[at] = datesRefused(agreement, day);
        return Refusal.NOT_IN_FORCE;
      }
      if (!listsRole) {
        if (role == null) {
          role = new SaidOnce(roleRefused(request));
        }
        words[at] = role;
        return Refusal.ROLE_NOT_ALLOWED;
      }
      if (!listsPurpose) {
        if (purpose == null) {
          purpose = new SaidOnce(purposeRefused(request));
        }
        words[at] = purpose;
        return Refusal.PURPOSE_NOT_ALLOWED;
      }
      return null;
    }
  }

  /** Words said the first time they are read and kept: one decision's refusals share them. */
  private static final class SaidOnce implements Wording {
    private final Wording words;

    /** Two threads reading at once say the same words; either string may stay. */
    private volatile String said;

    SaidOnce(Wording words) {
      this.words = words;
    }

    @Override
    public String say() {
      String s = said;
      if (s == null) {
        s = words.say();
        said = s;
      }
      return s;
    }
  }

  /**
   * A notification flows only where the agreement's {@code notifications:} clause names its kind
   * for this recipient, role and purpose: sharing records on request does not imply telling of
   * changes unasked. Agreement level, so refusing says nothing about the person.
   */
  private boolean notification(DecisionRequest r) {
    if (r.event().isEmpty()) {
      if (r.role().equals(NotificationClause.SUBSCRIBER_ROLE)) {
        return refuse(
            Refusal.ROLE_NOT_ALLOWED,
            sayRefusal
                ? () -> "role '" + r.role() + "' is told of changes, never given records on request"
                : null);
      }
      return true;
    }
    EventKind kind = r.event().get();
    if (!agreement.notifies(kind, r.recipient(), r.role(), r.purpose())) {
      return refuse(
          Refusal.NOT_IN_NOTIFICATION_CLAUSE,
          sayRefusal
              ? () ->
                  "the notification clause does not let "
                      + kind.code()
                      + " flow to "
                      + r.recipient()
                      + " as '"
                      + r.role()
                      + "' for "
                      + r.purpose()
              : null);
    }
    return pass(
        sayPasses
            ? "the notification clause lets "
                + kind.code()
                + " flow to "
                + r.recipient()
                + " as '"
                + r.role()
                + "' for "
                + r.purpose()
            : null);
  }

  /**
   * A family member is released only where the agreement opts in to family data for one of the
   * member's relationships and this purpose, and only where this agreement also permitted the
   * person asked about: otherwise a caller permitted to see anyone under one agreement could walk
   * the family of whoever another agreement's clause names. Agreement level: it holds whoever the
   * member is, so refusing says nothing about them.
   */
  private boolean family(DecisionRequest r) {
    if (r.familyOf().isEmpty()) {
      return true;
    }
    if (agreement.family().isEmpty()) {
      return refuse(
          Refusal.FAMILY_NOT_AGREED,
          sayRefusal ? () -> "this agreement releases no one but the person asked about" : null);
    }
    Set<FamilyRelationship> through = r.familyUnder().getOrDefault(agreement.id(), Set.of());
    if (through.isEmpty()) {
      return refuse(
          Refusal.FAMILY_NOT_AGREED,
          sayRefusal
              ? () ->
                  "this agreement did not permit the person asked about, so it releases none of their"
                      + " family"
              : null);
    }
    FamilyClause clause = agreement.family().get();
    List<String> asked = through.stream().map(FamilyRelationship::code).sorted().toList();
    if (through.stream().noneMatch(clause.relationships()::contains)) {
      return refuse(
          Refusal.FAMILY_NOT_AGREED,
          sayRefusal
              ? () ->
                  "the family clause does not name the member's relationship "
                      + String.join(" or ", asked)
              : null);
    }
    if (!clause.purposesOfUse().contains(r.purpose())) {
      return refuse(
          Refusal.FAMILY_NOT_AGREED,
          sayRefusal
              ? () ->
                  "the family clause does not name purpose " + r.purpose() + " for family members"
              : null);
    }
    family = clause;
    return pass(
        sayPasses
            ? "the family clause releases a member ("
                + String.join(", ", asked)
                + ") for "
                + r.purpose()
                + ", only "
                + clause.resourceTypes().stream().sorted().toList()
            : null);
  }

  private boolean sensitiveSource(DecisionRequest r) {
    if (r.providerHolds().isEmpty()) {
      return true;
    }
    List<String> unnamed =
        r.providerHolds().stream()
            .filter(c -> !agreement.sensitive().contains(c))
            .map(SensitiveCategory::code)
            .sorted()
            .toList();
    if (!unnamed.isEmpty()) {
      return refuse(
          Refusal.SENSITIVE_SOURCE_NOT_NAMED,
          sayRefusal
              ? () ->
                  "the source holds "
                      + String.join(" and ", unnamed)
                      + " data, which this agreement does not name"
              : null);
    }
    return pass(
        sayPasses
            ? "the source's "
                + r.providerHolds().stream().map(SensitiveCategory::code).sorted().toList()
                + " data is named"
            : null);
  }

  private boolean cohortExport(DecisionRequest r) {
    if (r.cohortSize() == 0) {
      return true;
    }
    var most = agreement.cohortExportMaxMembers();
    if (most.isEmpty()) {
      return refuse(
          Refusal.COHORT_EXPORT_NOT_AGREED,
          sayRefusal ? () -> "this agreement does not allow cohort export" : null);
    }
    if (r.cohortSize() > most.getAsInt()) {
      return refuse(
          Refusal.COHORT_EXPORT_NOT_AGREED,
          sayRefusal
              ? () ->
                  "a cohort of "
                      + r.cohortSize()
                      + " is larger than the "
                      + most.getAsInt()
                      + " this agreement allows"
              : null);
    }
    return pass(sayPasses ? "cohort export of " + r.cohortSize() + " people is allowed" : null);
  }

  private boolean cohort(DecisionRequest r) {
    var pilot = agreement.pilot();
    if (pilot.isEmpty() || !pilot.get().limitsCohort()) {
      return true;
    }
    boolean listed = pilot.get().cohort().contains(r.patient());
    boolean lives =
        r.facts().postcodeDistrict().map(pilot.get().postcodeDistricts()::contains).orElse(false);
    if (!listed && !lives) {
      return refuse(
          Refusal.OUTSIDE_PILOT_COHORT,
          sayRefusal ? () -> "the person is outside the pilot cohort" : null);
    }
    return pass(sayPasses ? "the person is in the pilot cohort" : null);
  }

  private boolean restricted(DecisionRequest r) {
    if (!r.facts().restricted()) {
      return true;
    }
    if (ownRecords(r)) {
      return pass(sayPasses ? ownRecordsWords(r, "a restricted record (S-flag)") : null);
    }
    if (!agreement.releasesRestricted() || !r.purpose().isDirectCare()) {
      return refuse(
          Refusal.RESTRICTED_RECORD,
          sayRefusal
              ? () -> "the person has a restricted record (S-flag) and this agreement withholds it"
              : null);
    }
    return pass(
        sayPasses ? "restricted record released for direct care, as the agreement allows" : null);
  }

  private boolean optOut(DecisionRequest r) {
    if (r.purpose().isDirectCare()) {
      return pass(sayPasses ? "the national data opt-out does not apply to direct care" : null);
    }
    if (!agreement.optOutApplies()) {
      return pass(sayPasses ? "the national data opt-out is not applied (" + basis() + ")" : null);
    }
    if (r.facts().optedOut() && ownRecords(r)) {
      return pass(sayPasses ? ownRecordsWords(r, "a national data opt-out") : null);
    }
    if (r.facts().optedOut()) {
      return refuse(
          Refusal.NATIONAL_OPT_OUT,
          sayRefusal
              ? () ->
                  "the person has registered a national data opt-out and "
                      + r.purpose()
                      + " is not care"
              : null);
    }
    return pass(sayPasses ? "no national data opt-out is registered" : null);
  }

  /**
   * A flag withholds a person's records from other organisations; it does not hide from an
   * organisation what it already holds, so its own source answers as for anyone (and refusing would
   * tell it the flag exists).
   */
  private static boolean ownRecords(DecisionRequest r) {
    return r.provider().equals(r.recipient());
  }

  private static String ownRecordsWords(DecisionRequest r, String flag) {
    return flag + " does not withhold from " + r.recipient() + " the records it holds itself";
  }

  private boolean relationship(DecisionRequest r) {
    RelationshipRule rule = agreement.relationship();
    if (!rule.required()) {
      return true;
    }
    if (r.facts().caredForBy(r.recipient(), rule.accepted())) {
      return pass(sayPasses ? r.recipient() + " has a care relationship on the register" : null);
    }
    if (rule.selfClaimAllowed() && r.relationshipClaim().isPresent()) {
      selfClaimed = true;
      return pass(
          sayPasses ? "care relationship declared by the user, flagged for IG review" : null);
    }
    return refuse(
        Refusal.NO_CARE_RELATIONSHIP,
        sayRefusal
            ? () ->
                r.recipient()
                    + " has no care relationship with the person"
                    + (rule.selfClaimAllowed() ? " and none was declared" : "")
            : null);
  }

  private boolean consentOrEmergency(DecisionRequest r) {
    ConsentRule rule = agreement.consent().rule();
    if (rule == ConsentRule.NONE) {
      return pass(sayPasses ? "consent is not the basis (" + basis() + ")" : null);
    }
    // The first consent that fits wins; if none does, the first one's misfit is the refusal.
    Refusal firstMisfit = null;
    Wording firstMisfitWording = null;
    for (Consent c : r.consents()) {
      if (fits(c, r)) {
        // An earlier consent's misfit no longer stands.
        refusal = null;
        refusalWording = null;
        consent = c;
        return pass(
            sayPasses
                ? "consent " + c.id() + " (" + c.method().code() + ") covers this request"
                : null);
      }
      if (firstMisfit == null) {
        firstMisfit = refusal;
        firstMisfitWording = refusalWording;
      }
    }
    refusal = null;
    refusalWording = null;
    if (r.emergencyReason().isEmpty()) {
      if (firstMisfit != null) {
        return refuse(firstMisfit, firstMisfitWording);
      }
      return refuse(
          Refusal.CONSENT_MISSING,
          sayRefusal
              ? () ->
                  "consent is required and none was presented"
                      + (rule == ConsentRule.REQUIRED_OR_EMERGENCY
                          ? "; no emergency reason was stated"
                          : "")
              : null);
    }
    // A consent that does not fit gives way to a stated emergency, where one is allowed.
    if (rule != ConsentRule.REQUIRED_OR_EMERGENCY) {
      return firstMisfit != null
          ? refuse(firstMisfit, firstMisfitWording)
          : refuse(
              Refusal.EMERGENCY_NOT_ALLOWED,
              sayRefusal ? () -> "emergency access is not allowed" : null);
    }
    if (!r.purpose().equals(PurposeOfUse.EMERGENCY_TREATMENT)) {
      return refuse(
          Refusal.EMERGENCY_NEEDS_ETREAT,
          sayRefusal ? () -> "emergency access needs purpose ETREAT, got " + r.purpose() : null);
    }
    emergency = true;
    return pass(sayPasses ? "emergency access with a stated reason, flagged for IG review" : null);
  }

  /** True when a verified consent covers this request; otherwise the refusal says why not. */
  private boolean fits(Consent c, DecisionRequest r) {
    if (!agreement.consent().trustedIssuers().contains(c.issuer())) {
      return refuse(
          Refusal.CONSENT_ISSUER_NOT_TRUSTED,
          sayRefusal
              ? () ->
                  "consent "
                      + c.id()
                      + " was recorded by "
                      + c.issuer()
                      + ", which this agreement does not trust"
              : null);
    }
    if (!c.patient().equals(r.patient())) {
      return refuse(
          Refusal.CONSENT_DOES_NOT_FIT,
          sayRefusal ? () -> "consent " + c.id() + " is for another person" : null);
    }
    if (!c.recipients().contains(r.recipient())) {
      return refuse(
          Refusal.CONSENT_DOES_NOT_FIT,
          sayRefusal ? () -> "consent " + c.id() + " does not name " + r.recipient() : null);
    }
    if (!c.purposes().contains(r.purpose())) {
      return refuse(
          Refusal.CONSENT_DOES_NOT_FIT,
          sayRefusal ? () -> "consent " + c.id() + " does not cover purpose " + r.purpose() : null);
    }
    if (c.narrow(agreement.resourceTypes()).isEmpty()) {
      return refuse(
          Refusal.CONSENT_DOES_NOT_FIT,
          sayRefusal
              ? () -> "consent " + c.id() + " covers none of the data this agreement shares"
              : null);
    }
    if (r.at().isBefore(c.notBefore()) || !r.at().isBefore(c.expires())) {
      return refuse(
          Refusal.CONSENT_NOT_CURRENT,
          sayRefusal
              ? () -> "consent " + c.id() + " is valid from " + c.notBefore() + " to " + c.expires()
              : null);
    }
    return true;
  }

  private boolean volume(DecisionRequest r) {
    var cap = agreement.dailyVolume();
    if (cap.isEmpty()) {
      return true;
    }
    int used = r.releasedToday().getOrDefault(agreement.id(), 0);
    if (used >= cap.getAsInt()) {
      return refuse(
          Refusal.DAILY_VOLUME_REACHED,
          sayRefusal
              ? () ->
                  "the pilot's daily volume of "
                      + cap.getAsInt()
                      + " for "
                      + r.recipient()
                      + " is reached"
              : null);
    }
    return pass(sayPasses ? "pilot volume today " + used + " of " + cap.getAsInt() : null);
  }

  private String basis() {
    LawfulBasis b = agreement.lawfulBasis();
    return "Article " + b.article6() + ", Article " + b.article9() + ", " + b.commonLaw().code();
  }

  private boolean pass(String words) {
    if (sayPasses) {
      passed.add(words);
    }
    return true;
  }

  private boolean refuse(Refusal kind, Wording words) {
    refusal = kind;
    refusalWording = words;
    return false;
  }
}
