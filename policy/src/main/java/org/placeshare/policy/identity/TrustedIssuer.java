package org.placeshare.policy.identity;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;

/**
 * A consent recorder the gateway trusts: an organisation by ODS code, the algorithms it may sign
 * with, and its public keys, each bound to exactly one algorithm. A key's algorithm is its JWK
 * {@code alg}, or the issuer's only algorithm when the JWK names none.
 */
public final class TrustedIssuer {

  /** Asymmetric algorithms only: a shared secret could not tell the issuer from the gateway. */
  public static final Set<JWSAlgorithm> SUPPORTED =
      Set.of(
          JWSAlgorithm.ES256,
          JWSAlgorithm.ES384,
          JWSAlgorithm.ES512,
          JWSAlgorithm.PS256,
          JWSAlgorithm.PS384,
          JWSAlgorithm.PS512,
          JWSAlgorithm.RS256);

  private static final int MIN_RSA_BITS = 2048;

  private final OdsCode organisation;
  private final Set<JWSAlgorithm> algorithms;
  private final Map<String, Bound> keys;

  /** A public key and the one algorithm it verifies. */
  record Bound(JWK key, JWSAlgorithm algorithm) {}

  private TrustedIssuer(
      OdsCode organisation, Set<JWSAlgorithm> algorithms, Map<String, Bound> keys) {
    this.organisation = organisation;
    this.algorithms = algorithms;
    this.keys = keys;
  }

  /**
   * Checks every key of a set against the issuer's algorithms; every problem is listed.
   *
   * @throws PolicyException naming each unusable key
   */
  public static TrustedIssuer of(OdsCode organisation, Set<JWSAlgorithm> algorithms, JWKSet set) {
    List<String> problems = new ArrayList<>();
    for (JWSAlgorithm a : algorithms) {
      if (!SUPPORTED.contains(a)) {
        problems.add("algorithm " + a + " is not accepted; expected one of " + SUPPORTED);
      }
    }
    if (algorithms.isEmpty()) {
      problems.add("expected at least one algorithm");
    }
    Map<String, Bound> keys = new HashMap<>();
    for (JWK key : set.getKeys()) {
      String name = key.getKeyID() == null ? "a key without kid" : "key " + key.getKeyID();
      if (key.getKeyID() == null) {
        problems.add(name + ": every key needs a kid");
        continue;
      }
      if (key.isPrivate()) {
        problems.add(name + ": a private key in a trust list; publish only public keys");
        continue;
      }
      JWSAlgorithm algorithm =
          key.getAlgorithm() != null
              ? JWSAlgorithm.parse(key.getAlgorithm().getName())
              : algorithms.size() == 1 ? algorithms.iterator().next() : null;
      if (algorithm == null) {
        problems.add(name + ": names no alg, and the issuer accepts more than one");
      } else if (!algorithms.contains(algorithm)) {
        problems.add(name + ": alg " + algorithm + " is not among the issuer's " + algorithms);
      } else if (!fits(key, algorithm)) {
        problems.add(name + ": a " + key.getKeyType() + " key cannot verify " + algorithm);
      } else if (keys.put(key.getKeyID(), new Bound(key, algorithm)) != null) {
        problems.add(name + ": the same kid twice");
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(
          "consent issuer " + organisation + ": " + String.join("; ", problems));
    }
    return new TrustedIssuer(organisation, Set.copyOf(algorithms), Map.copyOf(keys));
  }

  private static boolean fits(JWK key, JWSAlgorithm algorithm) {
    if (key instanceof ECKey ec) {
      return (algorithm.equals(JWSAlgorithm.ES256) && ec.getCurve().equals(Curve.P_256))
          || (algorithm.equals(JWSAlgorithm.ES384) && ec.getCurve().equals(Curve.P_384))
          || (algorithm.equals(JWSAlgorithm.ES512) && ec.getCurve().equals(Curve.P_521));
    }
    if (key instanceof RSAKey rsa) {
      return JWSAlgorithm.Family.RSA.contains(algorithm) && rsa.size() >= MIN_RSA_BITS;
    }
    return false;
  }

  public OdsCode organisation() {
    return organisation;
  }

  public Set<JWSAlgorithm> algorithms() {
    return algorithms;
  }

  /** The same issuer with more keys, such as the gateway's own consent key. */
  public TrustedIssuer with(JWK extra, JWSAlgorithm algorithm) {
    Map<String, Bound> more = new HashMap<>(keys);
    more.put(extra.getKeyID(), new Bound(extra.toPublicJWK(), algorithm));
    Set<JWSAlgorithm> all = new HashSet<>(algorithms);
    all.add(algorithm);
    return new TrustedIssuer(organisation, Set.copyOf(all), Map.copyOf(more));
  }

  Optional<Bound> key(String kid) {
    return Optional.ofNullable(keys.get(kid));
  }
}
