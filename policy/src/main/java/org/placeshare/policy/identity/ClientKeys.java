package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyConverter;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.URI;
import java.security.Key;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.placeshare.policy.PolicyException;

/**
 * The public keys a client's assertions may be signed with, each bound to exactly one algorithm
 * (its JWK {@code alg}): a JSON Web Key Set the client registered (a file, or a {@code jwksUrl}
 * whose set the gateway fetches and keeps current) or today's single EC P-256 PEM key, ES256. The
 * assertion names its key by {@code kid} and its {@code alg} must be that key's: an RS384 key never
 * verifies an RS256 or PS384 assertion, and {@code none} and HMAC are never accepted (SMART App
 * Launch, Backend Services; the NHS signed-JWT pattern).
 */
public final class ClientKeys {

  /**
   * SMART Backend Services requires RS384 and ES384; the NHS signed-JWT pattern uses RS512 (and
   * ES256, today's keys). Nothing symmetric: a shared secret could not tell the client from us.
   */
  public static final Set<JWSAlgorithm> ALGORITHMS =
      Set.of(JWSAlgorithm.RS384, JWSAlgorithm.ES384, JWSAlgorithm.ES256, JWSAlgorithm.RS512);

  /** A client has no reason for more keys than this (a current one and a few in rotation). */
  public static final int MAX_KEYS = 10;

  /** A key set bigger than this is not a client's key set. */
  public static final int MAX_JWKS_BYTES = 64 * 1024;

  static final int MIN_RSA_BITS = 2048;

  /** A public key and the one algorithm it verifies. */
  record Bound(JWK key, JWSAlgorithm algorithm) {}

  private final Map<String, Bound> byKid;

  /** Today's PEM key: chosen whatever the assertion's kid, since it was registered without one. */
  private final Optional<Bound> onlyKey;

  /** Where a fetched set comes from, and the set held now (empty until a fetch succeeds). */
  private final Optional<URI> url;

  private final Supplier<Optional<ClientKeys>> fetched;

  private final Supplier<CompletionStage<Boolean>> refetch;

  private ClientKeys(
      Map<String, Bound> byKid,
      Optional<Bound> onlyKey,
      Optional<URI> url,
      Supplier<Optional<ClientKeys>> fetched,
      Supplier<CompletionStage<Boolean>> refetch) {
    this.byKid = byKid;
    this.onlyKey = onlyKey;
    this.url = url;
    this.fetched = fetched;
    this.refetch = refetch;
  }

  private static final Supplier<CompletionStage<Boolean>> NOTHING_TO_FETCH =
      () -> CompletableFuture.completedFuture(false);

  /**
   * Fetches a URL's keys again (the fetcher limits how often), after an assertion named a key not
   * held; completes with whether new keys were fetched. Keys from configuration: false at once.
   */
  public CompletionStage<Boolean> refresh() {
    return refetch.get();
  }

  /** Today's registration: one EC P-256 public key (PEM), ES256. */
  public static ClientKeys pem(ECKey key) {
    if (key.isPrivate()) {
      throw new IllegalArgumentException("a client is registered with its public key only");
    }
    Bound bound = new Bound(key, JWSAlgorithm.ES256);
    return new ClientKeys(
        Map.of(), Optional.of(bound), Optional.empty(), Optional::empty, NOTHING_TO_FETCH);
  }

  /**
   * A registered key set, checked strictly: at most {@link #MAX_KEYS} keys, each public, with a
   * {@code kid} (once) and an {@code alg} among {@link #ALGORITHMS} that fits the key (curve P-256
   * for ES256, P-384 for ES384, RSA of at least {@value #MIN_RSA_BITS} bits for RS384 and RS512).
   *
   * @throws PolicyException listing every problem, each naming its key by position and kid
   */
  public static ClientKeys of(JWKSet set) {
    return of(set, i -> "keys[" + i + "]");
  }

  /**
   * As {@link #of(JWKSet)}, each key named in problems by {@code where} (e.g. its line in a file).
   */
  public static ClientKeys of(JWKSet set, IntFunction<String> where) {
    List<String> problems = new ArrayList<>();
    List<JWK> keys = set.getKeys();
    if (keys.isEmpty()) {
      problems.add("expected at least one key, got none");
    }
    if (keys.size() > MAX_KEYS) {
      throw new PolicyException("expected at most " + MAX_KEYS + " keys, got " + keys.size());
    }
    Map<String, Bound> byKid = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      JWK key = keys.get(i);
      String name = where.apply(i) + (key.getKeyID() == null ? "" : " (" + key.getKeyID() + ")");
      if (key.isPrivate()) {
        problems.add(name + ": a private key; register only the public key");
        continue;
      }
      if (key.getKeyID() == null || key.getKeyID().isBlank()) {
        problems.add(name + ": expected a kid");
        continue;
      }
      if (key.getAlgorithm() == null) {
        problems.add(name + ": expected an alg, one of " + names());
        continue;
      }
      JWSAlgorithm alg = JWSAlgorithm.parse(key.getAlgorithm().getName());
      if (!ALGORITHMS.contains(alg)) {
        problems.add(name + ": alg " + alg + " is not accepted; expected one of " + names());
      } else if (!fits(key, alg)) {
        problems.add(name + ": " + unfit(key, alg));
      } else if (byKid.put(key.getKeyID(), new Bound(key, alg)) != null) {
        problems.add(name + ": the same kid twice");
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(String.join("; ", problems));
    }
    return new ClientKeys(
        Map.copyOf(byKid), Optional.empty(), Optional.empty(), Optional::empty, NOTHING_TO_FETCH);
  }

  /**
   * Keys published at a URL: {@code current} gives the set held now (checked with {@link #of} when
   * it was fetched), empty until a fetch has succeeded; {@code refetch} asks for a fetch.
   */
  public static ClientKeys remote(
      URI url, Supplier<Optional<ClientKeys>> current, Supplier<CompletionStage<Boolean>> refetch) {
    return new ClientKeys(Map.of(), Optional.empty(), Optional.of(url), current, refetch);
  }

  /** The URL the keys are fetched from, for a client registered with {@code jwksUrl}. */
  public Optional<URI> url() {
    return url;
  }

  /**
   * The key an assertion names, checked to be bound to the assertion's algorithm, as a selector
   * that gives it for that algorithm only.
   *
   * @throws UnknownClientKeyException when a fetched set does not (yet) hold the kid
   * @throws TokenException when the key is unknown or bound to another algorithm
   */
  JWSKeySelector<SecurityContext> select(String clientId, String kid, JWSAlgorithm alg) {
    Bound bound = find(clientId, kid);
    if (!bound.algorithm().equals(alg)) {
      throw new TokenException(
          "client assertion refused: alg "
              + alg
              + " is not the algorithm of the client's key; expected "
              + bound.algorithm());
    }
    List<Key> keys;
    try {
      keys = List.copyOf(KeyConverter.toJavaKeys(List.of(bound.key())));
    } catch (RuntimeException e) {
      throw new TokenException("client assertion refused: the client's key is unusable", e);
    }
    return (header, context) -> header.getAlgorithm().equals(bound.algorithm()) ? keys : List.of();
  }

  private Bound find(String clientId, String kid) {
    if (onlyKey.isPresent()) {
      return onlyKey.get();
    }
    if (url.isPresent()) {
      Optional<ClientKeys> held = fetched.get();
      if (held.isEmpty() || kid == null || held.get().byKid.get(kid) == null) {
        throw new UnknownClientKeyException(
            held.isEmpty()
                ? "client assertion refused: the client's key set has not been fetched"
                : "client assertion refused: kid is not among the client's keys",
            clientId);
      }
      return held.get().byKid.get(kid);
    }
    if (kid == null) {
      throw new TokenException("client assertion refused: expected a kid naming the client's key");
    }
    Bound bound = byKid.get(kid);
    if (bound == null) {
      throw new TokenException("client assertion refused: kid is not among the client's keys");
    }
    return bound;
  }

  /** Equal registrations, equal prints: the thumbprints and algorithms, or the URL. */
  public String fingerprint() {
    if (url.isPresent()) {
      return "jwksUrl " + url.get();
    }
    Map<String, String> prints = new TreeMap<>();
    onlyKey.ifPresent(b -> prints.put("", print(b)));
    byKid.forEach((kid, b) -> prints.put(kid, print(b)));
    return prints.toString();
  }

  private static String print(Bound b) {
    try {
      return b.algorithm() + ":" + b.key().computeThumbprint();
    } catch (JOSEException e) {
      return b.algorithm() + ":" + b.key().toJSONString();
    }
  }

  private static boolean fits(JWK key, JWSAlgorithm alg) {
    if (key instanceof ECKey ec) {
      return (alg.equals(JWSAlgorithm.ES256) && ec.getCurve().equals(Curve.P_256))
          || (alg.equals(JWSAlgorithm.ES384) && ec.getCurve().equals(Curve.P_384));
    }
    if (key instanceof RSAKey rsa) {
      return JWSAlgorithm.Family.RSA.contains(alg) && rsa.size() >= MIN_RSA_BITS;
    }
    return false;
  }

  private static String unfit(JWK key, JWSAlgorithm alg) {
    if (key instanceof RSAKey rsa && JWSAlgorithm.Family.RSA.contains(alg)) {
      return "an RSA key of " + rsa.size() + " bits; expected at least " + MIN_RSA_BITS;
    }
    if (key instanceof ECKey ec) {
      return "an EC key on " + ec.getCurve() + " cannot verify " + alg;
    }
    return "a " + key.getKeyType() + " key cannot verify " + alg;
  }

  private static List<String> names() {
    return ALGORITHMS.stream().map(JWSAlgorithm::getName).sorted().toList();
  }
}
