package org.placeshare.policy;

import java.util.List;
import java.util.Optional;
import java.util.Set;

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
  private final List<String> reasons;
  private final boolean emergency;

  private Decision(
      Effect effect,
      OdsCode provider,
      Agreement agreement,
      List<String> reasons,
      boolean emergency) {
    this.effect = effect;
    this.provider = provider;
    this.agreement = agreement;
    this.reasons = List.copyOf(reasons);
    this.emergency = emergency;
  }

  static Decision permit(OdsCode provider, Agreement agreement, String reason, boolean emergency) {
    return new Decision(Effect.PERMIT, provider, agreement, List.of(reason), emergency);
  }

  static Decision deny(OdsCode provider, List<String> reasons) {
    return new Decision(Effect.DENY, provider, null, reasons, false);
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

  /** The agreement that permitted; empty for a deny. */
  public Optional<Agreement> agreement() {
    return Optional.ofNullable(agreement);
  }

  /** Why, in words an IG lead reads in the audit; a deny lists each agreement's refusal. */
  public List<String> reasons() {
    return reasons;
  }

  /** The obligation on released data: keep only these resource types. Empty on deny. */
  public Set<String> resourceTypes() {
    return agreement == null ? Set.of() : agreement.resourceTypes();
  }

  /** True for break-glass access, which IG reviews afterwards. */
  public boolean emergency() {
    return emergency;
  }
}
