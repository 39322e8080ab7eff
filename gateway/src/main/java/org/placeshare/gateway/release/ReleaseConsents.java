package org.placeshare.gateway.release;

import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.placeshare.gateway.consent.ConsentRegister;
import org.placeshare.gateway.consent.ConsentVerifier;
import org.placeshare.policy.Consent;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.TokenException;
import org.placeshare.policy.identity.VerifiedConsent;

/** The consents a release weighs: the person's standing ones and a presented token, verified. */
final class ReleaseConsents {

  private final ConsentRegister consents;
  private final ConsentVerifier verifier;
  private final Clock clock;

  ReleaseConsents(ConsentRegister consents, ConsentVerifier verifier, Clock clock) {
    this.consents = consents;
    this.verifier = verifier;
    this.clock = clock;
  }

  /**
   * The consents that may apply: every standing one registered for the person and not withdrawn,
   * and the one presented with the request, once verified and found not withdrawn. A presented
   * token is kept (not standing) so that it can be listed and withdrawn.
   */
  Future<List<Consent>> forRelease(Caller caller, NhsNumber patient, Optional<String> token) {
    if (token.isEmpty()) {
      return consents.standing(patient);
    }
    return verifier
        .verify(token.get())
        .recover(
            e ->
                Future.failedFuture(
                    new Refused(
                        e instanceof TokenException
                            ? e.getMessage()
                            : e.getClass().getSimpleName())))
        .compose(presented -> keep(caller, patient, presented));
  }

  /** Each person's standing consents, read at once ({@link ConsentRegister#standingOf}). */
  Future<Map<NhsNumber, List<Consent>>> standingOf(List<NhsNumber> people) {
    return consents.standingOf(people);
  }

  /** Keeps the presented consent and reads the standing ones in one round trip, when known. */
  private Future<List<Consent>> keep(Caller caller, NhsNumber patient, VerifiedConsent presented) {
    String by = caller.clientId() + "/" + caller.userId() + " (" + caller.organisation() + ")";
    return consents
        .keepPresented(presented, patient, by, clock.instant())
        .compose(
            kept -> {
              if (kept.registered() == ConsentRegister.Registered.WITHDRAWN) {
                return Future.failedFuture(
                    new Refused("consent " + presented.consent().id() + " was withdrawn"));
              }
              if (kept.registered() == ConsentRegister.Registered.CONFLICT) {
                return Future.failedFuture(
                    new Refused("another consent already has this token's id"));
              }
              List<Consent> all = new ArrayList<>();
              all.add(presented.consent());
              kept.standing().stream()
                  .filter(c -> !c.id().equals(presented.consent().id()))
                  .forEach(all::add);
              return Future.succeededFuture(all);
            });
  }

  /** A presented consent token refused; the message is the audit's detail. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String why) {
      super(why, null, false, false);
    }
  }
}
