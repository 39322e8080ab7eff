package org.placeshare.gateway.consent;

import io.vertx.core.Future;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.TokenException;
import org.placeshare.policy.identity.UnknownKeyException;
import org.placeshare.policy.identity.VerifiedConsent;

/**
 * Verifies consent tokens against the trusted issuers' keys. A token naming a key not yet held
 * makes the issuer's key set be fetched again (rate-limited) and the token tried once more.
 */
public final class ConsentVerifier {

  private final ConsentTokens tokens;
  private final IssuerKeys keys;

  public ConsentVerifier(ConsentTokens tokens, IssuerKeys keys) {
    this.tokens = tokens;
    this.keys = keys;
  }

  /** The verified consent, or a future failed with a {@link TokenException}. */
  public Future<VerifiedConsent> verify(String token) {
    try {
      return Future.succeededFuture(tokens.verify(token));
    } catch (UnknownKeyException e) {
      return keys.refresh(e.issuer())
          .compose(
              fetched -> {
                if (!fetched) {
                  return Future.failedFuture(e);
                }
                try {
                  return Future.succeededFuture(tokens.verify(token));
                } catch (TokenException again) {
                  return Future.failedFuture(again);
                }
              });
    } catch (TokenException e) {
      return Future.failedFuture(e);
    }
  }

  public IssuerKeys issuers() {
    return keys;
  }
}
