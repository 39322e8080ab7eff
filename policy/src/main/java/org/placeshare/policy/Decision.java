package org.placeshare.policy;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.placeshare.policy.AgreementEvaluation.Wording;

/**
 * The policy's answer for one caller, one person, one source. Only {@link PolicySet} makes one, so
 * code holding a permit need not check again.
 */
public final class Decision {

  public enum Effect {
    PERMIT,
    DENY
  }

  private final Effect effect;
  private final OdsCode provider;
  private final Agreement agreement;

  /** The reasons in words: given at once, or for a deny among agreements, said when first read. */
  private volatile List<String> reasons;

  /**
   * For a deny among agreements, each considered agreement's refusal in the same order, not yet in
   * words; null when the reasons were given in words. Owned by this decision, never changed.
   */
  private final Wording[] unsaid;

  private final Set<Refusal> refusals;
  private final List<Agreement> considered;
  private final boolean emergency;
  private final boolean selfClaimedRelationship;
  private final Consent consent;
  private final Set<String> familyTypes;

  private Decision(
      Effect effect,
      OdsCode provider,
      Agreement agreement,
      List<String> reasons,
      Wording[] unsaid,
      Set<Refusal> refusals,
      List<Agreement> considered,
      boolean emergency,
      boolean selfClaimedRelationship,
      Consent consent,
      Set<String> familyTypes) {
    this.effect = effect;
    this.provider = provider;
    this.agreement = agreement;
    this.reasons = reasons == null ? null : List.copyOf(reasons);
    this.unsaid = unsaid;
    this.refusals = kinds(refusals);
    this.considered = List.copyOf(considered);
    this.emergency = emergency;
    this.selfClaimedRelationship = selfClaimedRelationship;
    this.consent = consent;
    this.familyTypes = familyTypes == null ? null : Set.copyOf(familyTypes);
  }

  /**
   * The kinds as an unmodifiable copy. An {@link EnumSet} stays one (bits, in declaration order):
   * {@link Set#copyOf} would hash it into a {@code HashSet} first, which a deny's profile showed.
   */
  private static Set<Refusal> kinds(Set<Refusal> refusals) {
    return refusals.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(refusals));
  }

  /**
   * A permit. {@code familyTypes} are the family clause's types when the person was released as
   * another person's family member, else null.
   */
  static Decision permit(
      OdsCode provider,
      Agreement agreement,
      List<String> reasons,
      List<Agreement> considered,
      boolean emergency,
      boolean selfClaimedRelationship,
      Consent consent,
      Set<String> familyTypes) {
    return new Decision(
        Effect.PERMIT,
        provider,
        agreement,
        reasons,
        null,
        Set.of(),
        considered,
        emergency,
        selfClaimedRelationship,
        consent,
        familyTypes);
  }

  /**
   * A deny. {@code monitored} is the monitor-only pilot that would have permitted, named so the
   * audit shows what the pilot would have done.
   */
  static Decision deny(
      OdsCode provider,
      Agreement monitored,
      List<String> reasons,
      Set<Refusal> refusals,
      List<Agreement> considered) {
    return new Decision(
        Effect.DENY,
        provider,
        monitored,
        reasons,
        null,
        refusals,
        considered,
        false,
        false,
        null,
        null);
  }

  /**
   * A deny among agreements: {@code unsaid} holds each considered agreement's refusal, in the same
   * order, to be put in words ({@code id@version: words}) only when {@link #reasons} is read. A
   * deny among a hundred agreements would otherwise write a hundred strings that a caller who asks
   * only whether it was permitted never reads. The array is the decision's from now on.
   */
  static Decision refused(
      OdsCode provider,
      Agreement monitored,
      Wording[] unsaid,
      Set<Refusal> refusals,
      List<Agreement> considered) {
    if (unsaid.length != considered.size()) {
      throw new IllegalArgumentException(
          "expected a refusal for each of the "
              + considered.size()
              + " agreements considered, got "
              + unsaid.length);
    }
    return new Decision(
        Effect.DENY,
        provider,
        monitored,
        null,
        unsaid,
        refusals,
        considered,
        false,
        false,
        null,
        null);
  }

  public Effect effect() {
    return effect;
  }

  public boolean permitted() {
    return effect == Effect.PERMIT;
  }

  /** The provider this decision is about. */
  public OdsCode provider() {
    return provider;
  }

  /**
   * The agreement that permitted; for a deny, the monitor-only pilot that would have permitted, if
   * any.
   */
  public Optional<Agreement> agreement() {
    return Optional.ofNullable(agreement);
  }

  /** Every agreement that could apply to this provider and recipient, as the audit names them. */
  public List<Agreement> considered() {
    return considered;
  }

  /**
   * Why, in words an IG lead reads in the audit: for a permit, every check passed; for a deny, each
   * agreement's refusal ({@code id@version: words}, in decision order). A deny's words are written
   * the first time this is read, and are the same list thereafter.
   */
  public List<String> reasons() {
    List<String> said = reasons;
    if (said == null) {
      // Two threads racing here say the same words; either list may stay.
      said = say(considered, unsaid);
      reasons = said;
    }
    return said;
  }

  private static List<String> say(List<Agreement> considered, Wording[] unsaid) {
    String[] lines = new String[unsaid.length];
    for (int i = 0; i < lines.length; i++) {
      Agreement a = considered.get(i);
      // a.reference() in the same concatenation, without a string of its own
      lines[i] = a.id() + "@" + a.version() + ": " + unsaid[i].say();
    }
    return List.of(lines);
  }

  /** The kinds of refusal behind a deny; empty for a permit. */
  public Set<Refusal> refusals() {
    return refusals;
  }

  /** True when a monitor-only pilot would have permitted: nothing released, but recorded. */
  public boolean monitored() {
    return effect == Effect.DENY && agreement != null;
  }

  /** The consent the permit rests on, if any: named in the audit, withdrawn by its id. */
  public Optional<Consent> consent() {
    return Optional.ofNullable(consent);
  }

  /**
   * What must be done to the released records; {@link Obligations#NONE} on deny. A family member's
   * release keeps only the family clause's types, and a consent that covers only some kinds of
   * record narrows the types to those.
   */
  public Obligations obligations() {
    if (!permitted()) {
      return Obligations.NONE;
    }
    Obligations terms = agreement.obligations();
    if (familyTypes != null) {
      terms =
          terms.withResourceTypes(
              terms.resourceTypes().stream()
                  .filter(familyTypes::contains)
                  .collect(Collectors.toSet()));
    }
    return consent == null ? terms : terms.withResourceTypes(consent.narrow(terms.resourceTypes()));
  }

  /** True when the person was released as another person's family member, under the clause. */
  public boolean familyMember() {
    return familyTypes != null;
  }

  /** The obligation on released data: keep only these resource types. Empty on deny. */
  public Set<String> resourceTypes() {
    return obligations().resourceTypes();
  }

  /** True for break-glass access, which IG reviews afterwards. */
  public boolean emergency() {
    return emergency;
  }

  /** True when access rests on a care relationship the user declared, which IG reviews. */
  public boolean selfClaimedRelationship() {
    return selfClaimedRelationship;
  }

  /** True when IG must review this access afterwards. */
  public boolean reviewRequired() {
    return emergency || selfClaimedRelationship;
  }
}
