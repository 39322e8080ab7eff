package org.placeshare.policy.bench;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientAssertionVerifier;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.RegisteredClient;
import org.placeshare.policy.identity.SigningKey;
import org.placeshare.policy.identity.SmartScopes;
import org.placeshare.policy.identity.TrustedIssuer;
import org.placeshare.policy.identity.VerifiedClientAssertion;
import org.placeshare.policy.identity.VerifiedConsent;

/**
 * The cost of verifying an ES256 access token and an ES256 consent token: cold (every signature
 * checked, cache off) and with the verified-token cache, which skips only the signature; expiry
 * (and, for a consent, that its issuer still publishes the key) is still checked on every use. A
 * client assertion is verified once per token request, so it has only a cold figure. {@code
 * ecdsaProvider} chooses the provider the gateway checks ECDSA signatures in (BouncyCastle, the
 * gateway's choice, or the JDK's SunEC); JMH runs each value in its own forks, and the property is
 * set before the verifiers are first built. Run with {@code ops/bench/tokens.sh}, on any JDK of 17
 * or later; results in docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TokenBenchmark {

  private static final String GATEWAY = "https://gateway.bench";
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  @Param({"BC", "SunEC"})
  public String ecdsaProvider;

  private AccessTokens coldAccess;
  private AccessTokens cachedAccess;
  private ConsentTokens coldConsent;
  private ConsentTokens cachedConsent;
  private String accessToken;
  private String consentToken;
  private ClientAssertionVerifier assertions;
  private String assertion;

  @Setup
  public void setUp() {
    System.setProperty("placeshare.ecdsa.provider", ecdsaProvider);
    SigningKey gatewayKey = SigningKey.generate();
    SigningKey clientKey = SigningKey.generate();
    RegisteredClient client =
        new RegisteredClient(
            "coventry-ae",
            OdsCode.of("R9A"),
            clientKey.publicJwk(),
            Set.of(PurposeOfUse.TREAT),
            Set.of("clinician"));
    String tokenUrl = GATEWAY + "/oauth2/token";
    coldAccess = new AccessTokens(gatewayKey, GATEWAY, Map.of(client.id(), client), CLOCK, 0);
    cachedAccess = new AccessTokens(gatewayKey, GATEWAY, Map.of(client.id(), client), CLOCK);
    assertions = new ClientAssertionVerifier(Map.of(client.id(), client), tokenUrl, CLOCK);
    assertion =
        ClientAssertions.sign(
            clientKey, client.id(), tokenUrl, "dr.jones", "clinician", PurposeOfUse.TREAT, CLOCK);
    accessToken =
        coldAccess
            .issue(
                assertions.verify(assertion),
                Optional.empty(),
                SmartScopes.grant(Optional.empty(), Set.of("Patient")))
            .token();

    SigningKey gpKey = SigningKey.generate();
    OdsCode gp = OdsCode.of("Y90001");
    TrustedIssuer issuer =
        TrustedIssuer.of(gp, Set.of(JWSAlgorithm.ES256), new JWKSet(gpKey.publicJwk()));
    coldConsent = new ConsentTokens(code -> Optional.of(issuer), CLOCK, 0);
    cachedConsent = new ConsentTokens(code -> Optional.of(issuer), CLOCK);
    Instant now = CLOCK.instant();
    consentToken =
        ConsentTokens.sign(
            gpKey,
            new Consent(
                "bench-consent",
                gp,
                NhsNumber.parse("9990000018"),
                Set.of(OdsCode.of("R9A")),
                Set.of(PurposeOfUse.TREAT),
                Set.of(Consent.ALL_DATA),
                ConsentMethod.VERBAL,
                "gp.reception",
                now.minusSeconds(60),
                now.plus(Duration.ofDays(365))),
            now);
  }

  @Benchmark
  public Caller accessTokenCold() {
    return coldAccess.verify(accessToken);
  }

  @Benchmark
  public Caller accessTokenCached() {
    return cachedAccess.verify(accessToken);
  }

  @Benchmark
  public VerifiedConsent consentTokenCold() {
    return coldConsent.verify(consentToken);
  }

  @Benchmark
  public VerifiedConsent consentTokenCached() {
    return cachedConsent.verify(consentToken);
  }

  @Benchmark
  public VerifiedClientAssertion clientAssertion() {
    return assertions.verify(assertion);
  }
}
