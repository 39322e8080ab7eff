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
    Future<List<Consent>> standing = consents.standing(patient);
    if (token.isEmpty()) {
      return standing;
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
        .compose(presented -> keep(caller, presented, standing));
  }

  /** Each person's standing consents, read at once ({@link ConsentRegister#standingOf}). */
  Future<Map<NhsNumber, List<Consent>>> standingOf(List<NhsNumber> people) {
    return consents.standingOf(people);
  }

  private Future<List<Consent>> keep(
      Caller caller, VerifiedConsent presented, Future<List<Consent>> standing) {
    String by = caller.clientId() + "/" + caller.userId() + " (" + caller.organisation() + ")";
    return consents
        .keep(presented, false, by, clock.instant())
        .compose(
            kept -> {
              if (kept == ConsentRegister.Registered.WITHDRAWN) {
                return Future.failedFuture(
                    new Refused("consent " + presented.consent().id() + " was withdrawn"));
              }
              if (kept == ConsentRegister.Registered.CONFLICT) {
                return Future.failedFuture(
                    new Refused("another consent already has this token's id"));
              }
              return standing.map(
                  list -> {
                    List<Consent> all = new ArrayList<>();
                    all.add(presented.consent());
                    list.stream()
                        .filter(c -> !c.id().equals(presented.consent().id()))
                        .forEach(all::add);
                    return all;
                  });
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
