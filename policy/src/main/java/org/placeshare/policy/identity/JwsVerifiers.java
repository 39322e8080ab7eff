package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.security.Key;
import java.security.Provider;
import java.security.Security;
import java.util.Locale;
import java.util.Objects;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * Builds the verifier of every signed JWT the gateway accepts (access tokens, consent tokens,
 * client assertions) and of every agreement file's detached signature ({@link #factory()}, handed
 * to the agreement loader, which sits below this package): the one place that chooses the
 * cryptographic provider. ECDSA (ES256, ES384, ES512) runs in BouncyCastle's provider, several
 * times faster than JDK 17's SunEC on a cold token (figures in docs/benchmarks.md), and held to the
 * same Wycheproof vectors and hostile tokens in the tests; RSA stays in the JDK's provider. The
 * BouncyCastle provider is a private instance, never registered in {@link Security}, so nothing
 * else in the process changes provider.
 *
 * <p>The system property {@value #PROVIDER_PROPERTY} set to {@code SunEC} puts ECDSA back in the
 * JDK's provider, for the benchmark's comparison and as a fallback that needs no rebuild; any other
 * value than {@code BC} or {@code SunEC} stops the class from loading.
 */
public final class JwsVerifiers extends DefaultJWSVerifierFactory {

  static final String PROVIDER_PROPERTY = "placeshare.ecdsa.provider";

  /** The one factory, read-only after construction and so safe to share between threads. */
  static final JwsVerifiers INSTANCE = new JwsVerifiers(ecdsaProvider());

  private final Provider ecdsa;

  private JwsVerifiers(Provider ecdsa) {
    this.ecdsa = ecdsa;
  }

  /**
   * The one factory, for a JWS checked outside this package: agreement signatures, which {@code
   * PolicyFolder.Options} carries because the agreements package may not depend on this one.
   */
  public static JWSVerifierFactory factory() {
    return INSTANCE;
  }

  /**
   * Loads the provider, if not yet loaded: a one-off cost better paid at start than by a caller.
   */
  static void load() {
    Objects.requireNonNull(INSTANCE);
  }

  /** The provider ECDSA signatures are checked in, as named by the JCA, e.g. "BC". */
  static String ecdsaProviderName() {
    return INSTANCE.ecdsa.getName();
  }

  @Override
  public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
    JWSVerifier verifier = super.createJWSVerifier(header, key);
    if (verifier instanceof ECDSAVerifier) {
      // Read at each verify, so setting it here is enough; RSA keeps the JDK's provider.
      verifier.getJCAContext().setProvider(ecdsa);
    }
    return verifier;
  }

  private static Provider ecdsaProvider() {
    String name = System.getProperty(PROVIDER_PROPERTY, "BC").toUpperCase(Locale.ROOT);
    return switch (name) {
      case "BC" -> new BouncyCastleProvider();
      case "SUNEC" -> Security.getProvider("SunEC");
      default ->
          throw new IllegalStateException(
              PROVIDER_PROPERTY + ": expected BC or SunEC, got " + name);
    };
  }
}
