package org.placeshare.policy.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.placeshare.policy.PolicyException;

/**
 * An EC P-256 key bound to one algorithm, ES256 (RFC 7518 section 3.4), named by its RFC 7638 JWK
 * thumbprint. Keys are kept as PEM files (PKCS#8 private, SPKI public) so operators can use openssl
 * with them.
 */
public final class SigningKey {

  /** The one algorithm every Placeshare key signs with. */
  public static final JWSAlgorithm ALGORITHM = JWSAlgorithm.ES256;

  private static final int MAX_PEM_BYTES = 16 * 1024;

  private final ECKey jwk;

  private SigningKey(ECKey jwk) {
    this.jwk = jwk;
  }

  public static SigningKey generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = generator.generateKeyPair();
      return new SigningKey(
          toJwk((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is required of every Java platform", e);
    }
  }

  /** Reads a private key PEM (PKCS#8 or SEC1 "EC PRIVATE KEY"). */
  public static SigningKey readPrivatePem(Path file) {
    Object parsed = readPem(file);
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (parsed instanceof PEMKeyPair pair) {
        KeyPair keys = converter.getKeyPair(pair);
        return new SigningKey(
            toJwk((ECPublicKey) keys.getPublic(), (ECPrivateKey) keys.getPrivate()));
      }
      if (parsed instanceof PrivateKeyInfo info) {
        PrivateKey key = converter.getPrivateKey(info);
        if (key instanceof ECPrivateKey ec) {
          ECKey derived = new ECKey.Builder(Curve.P_256, publicOf(ec)).privateKey(ec).build();
          return new SigningKey(withId(derived));
        }
      }
    } catch (IOException | JOSEException | IllegalArgumentException e) {
      throw new PolicyException(file + ": expected an EC P-256 private key: " + e.getMessage(), e);
    }
    throw new PolicyException(file + ": expected an EC P-256 private key PEM");
  }

  /** Reads a public key PEM ("PUBLIC KEY", SubjectPublicKeyInfo) as a verification-only JWK. */
  public static ECKey readPublicPem(Path file) {
    Object parsed = readPem(file);
    if (parsed instanceof SubjectPublicKeyInfo info) {
      try {
        PublicKey key = new JcaPEMKeyConverter().getPublicKey(info);
        if (key instanceof ECPublicKey ec) {
          return withId(new ECKey.Builder(Curve.P_256, ec).build());
        }
      } catch (IOException | JOSEException | IllegalArgumentException e) {
        throw new PolicyException(file + ": expected an EC P-256 public key: " + e.getMessage(), e);
      }
    }
    throw new PolicyException(file + ": expected an EC P-256 public key PEM");
  }

  private static Object readPem(Path file) {
    try {
      if (Files.size(file) > MAX_PEM_BYTES) {
        throw new PolicyException(file + ": expected at most " + MAX_PEM_BYTES + " bytes");
      }
      String text = Files.readString(file, StandardCharsets.US_ASCII);
      try (PEMParser parser = new PEMParser(new StringReader(text))) {
        Object parsed = parser.readObject();
        if (parsed == null) {
          throw new PolicyException(file + ": expected a PEM block, found none");
        }
        return parsed;
      }
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the private key (owner-only permissions where the file system allows) and public key.
   */
  public void writePem(Path privateFile, Path publicFile) {
    try {
      SecretFile.write(privateFile, pem(new JcaPKCS8Generator(jwk.toECPrivateKey(), null)));
      Files.createDirectories(publicFile.toAbsolutePath().getParent());
      Files.writeString(publicFile, pem(jwk.toECPublicKey()));
    } catch (IOException | JOSEException e) {
      throw new PolicyException("cannot write key to " + privateFile + ": " + e.getMessage(), e);
    }
  }

  private static String pem(Object key) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(key);
    }
    return out.toString();
  }

  /** The key id: its RFC 7638 thumbprint. */
  public String keyId() {
    return jwk.getKeyID();
  }

  /**
   * Signs bytes that travel apart from their signature: a detached compact JWS (RFC 7515 Appendix
   * F, {@code header..signature}) with this key's id and the given {@code typ}, as agreement files
   * are signed.
   */
  public String signDetached(JOSEObjectType type, byte[] payload) {
    JWSHeader header = new JWSHeader.Builder(ALGORITHM).type(type).keyID(keyId()).build();
    JWSObject jws = new JWSObject(header, new Payload(payload));
    try {
      jws.sign(new ECDSASigner(jwk));
    } catch (JOSEException e) {
      throw new PolicyException("cannot sign: " + e.getMessage(), e);
    }
    return jws.serialize(true);
  }

  /** The private JWK, for signing. */
  ECKey privateJwk() {
    return jwk;
  }

  /** The public half, safe to publish in a JWKS. */
  public ECKey publicJwk() {
    return jwk.toPublicJWK();
  }

  private static ECKey toJwk(ECPublicKey pub, ECPrivateKey priv) {
    try {
      return withId(new ECKey.Builder(Curve.P_256, pub).privateKey(priv).build());
    } catch (JOSEException e) {
      throw new PolicyException("cannot compute the key id: " + e.getMessage(), e);
    }
  }

  private static ECKey withId(ECKey key) throws JOSEException {
    return new ECKey.Builder(key)
        .keyID(key.computeThumbprint().toString())
        .algorithm(ALGORITHM)
        .keyUse(KeyUse.SIGNATURE)
        .build();
  }

  /** Derives the public point of a P-256 private key (PKCS#8 files may omit it). */
  private static ECPublicKey publicOf(ECPrivateKey key) {
    try {
      var params = ECNamedCurveTable.getParameterSpec("secp256r1");
      var q = params.getG().multiply(key.getS()).normalize();
      var spec =
          new ECPublicKeySpec(
              new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
              key.getParams());
      return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec);
    } catch (GeneralSecurityException e) {
      throw new PolicyException("cannot derive the public key: " + e.getMessage(), e);
    }
  }
}
