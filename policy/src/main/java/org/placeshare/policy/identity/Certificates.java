package org.placeshare.policy.identity;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.placeshare.policy.PolicyException;

/**
 * A private CA and the certificates a deployment needs, on EC P-256 keys: the gateway's server
 * certificate (TLS) and each client system's certificate (mutual TLS, subject CN and a subject
 * alternative name URI = the client id), and the CA's revocation lists. For operators setting up
 * from nothing and for tests; a trust's own PKI can replace it.
 */
public final class Certificates {

  /** A certificate with its private key. */
  public record Issued(X509Certificate certificate, KeyPair keys) {

    /** Writes the certificate and (owner-only) key as PEM. */
    public void writePem(Path certificateFile, Path keyFile) {
      try {
        Files.createDirectories(certificateFile.toAbsolutePath().getParent());
        Files.writeString(certificateFile, pem(certificate));
        SecretFile.write(keyFile, pem(new JcaPKCS8Generator(keys.getPrivate(), null)));
      } catch (IOException e) {
        throw new PolicyException("cannot write " + certificateFile + ": " + e.getMessage(), e);
      }
    }
  }

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final int MAX_PEM_BYTES = 64 * 1024;

  /**
   * Reads a certificate and its private key back from PEM, such as a CA made by {@link #authority}.
   */
  public static Issued readPem(Path certificateFile, Path keyFile) {
    try {
      X509Certificate certificate;
      try (PEMParser parser = new PEMParser(new StringReader(read(certificateFile)))) {
        if (!(parser.readObject() instanceof X509CertificateHolder holder)) {
          throw new PolicyException(certificateFile + ": expected a PEM certificate");
        }
        certificate = new JcaX509CertificateConverter().getCertificate(holder);
      }
      PrivateKey key;
      try (PEMParser parser = new PEMParser(new StringReader(read(keyFile)))) {
        Object parsed = parser.readObject();
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (parsed instanceof PrivateKeyInfo info) {
          key = converter.getPrivateKey(info);
        } else if (parsed instanceof PEMKeyPair pair) {
          key = converter.getKeyPair(pair).getPrivate();
        } else {
          throw new PolicyException(keyFile + ": expected a PEM private key");
        }
      }
      return new Issued(certificate, new KeyPair(certificate.getPublicKey(), key));
    } catch (IOException | GeneralSecurityException e) {
      throw new PolicyException("cannot read " + certificateFile + ": " + e.getMessage(), e);
    }
  }

  private static String read(Path file) throws IOException {
    if (Files.size(file) > MAX_PEM_BYTES) {
      throw new PolicyException(file + ": expected at most " + MAX_PEM_BYTES + " bytes");
    }
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  private Certificates() {}

  /** A self-signed CA that may sign end-entity certificates only (path length 0). */
  public static Issued authority(String name, Duration validity) {
    KeyPair keys = keyPair();
    X500Name subject = name(name);
    return build(
        subject,
        keys,
        subject,
        keys,
        validity,
        builder -> {
          builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
          builder.addExtension(
              Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        });
  }

  /** A TLS server certificate for these DNS names and IP addresses. */
  public static Issued server(Issued ca, String name, List<String> hosts, Duration validity) {
    KeyPair keys = keyPair();
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      boolean ip = host.matches("[0-9.]+") || host.contains(":");
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host));
    }
    return endEntity(
        ca,
        name(name),
        keys,
        validity,
        KeyPurposeId.id_kp_serverAuth,
        builder ->
            builder.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(names.toArray(GeneralName[]::new))));
  }

  /**
   * A TLS client certificate naming the registered client id twice: as its subject CN and as a
   * subject alternative name URI {@code urn:placeshare:client:<id>} (see {@link
   * CertificateIdentity}).
   */
  public static Issued client(Issued ca, String clientId, Duration validity) {
    return client(ca, clientId, Optional.of(clientId), validity);
  }

  /**
   * A TLS client certificate with this subject CN and, if given, a subject alternative name URI
   * naming this client id.
   */
  public static Issued client(
      Issued ca, String commonName, Optional<String> clientId, Duration validity) {
    return endEntity(
        ca,
        name(commonName),
        keyPair(),
        validity,
        KeyPurposeId.id_kp_clientAuth,
        builder -> {
          if (clientId.isPresent()) {
            builder.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(
                    new GeneralName(
                        GeneralName.uniformResourceIdentifier,
                        CertificateIdentity.CLIENT_URI_PREFIX + clientId.get())));
          }
        });
  }

  /**
   * A certificate revocation list (RFC 5280 section 5) signed by the CA, revoking these
   * certificates as of {@code thisUpdate}, next due after {@code validity}; as PEM.
   */
  public static String revocationList(
      Issued ca, List<X509Certificate> revoked, Instant thisUpdate, Duration validity) {
    X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(thisUpdate.plus(validity)));
    for (X509Certificate certificate : revoked) {
      builder.addCRLEntry(
          certificate.getSerialNumber(), Date.from(thisUpdate), CRLReason.keyCompromise);
    }
    try {
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          utils().createAuthorityKeyIdentifier(ca.certificate()));
      var signer = new JcaContentSignerBuilder(SIGNATURE).build(ca.keys().getPrivate());
      X509CRL crl = new JcaX509CRLConverter().getCRL(builder.build(signer));
      return pem(crl);
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new PolicyException("cannot make a CRL for " + issuer + ": " + e, e);
    }
  }

  private static Issued endEntity(
      Issued ca,
      X500Name subject,
      KeyPair keys,
      Duration validity,
      KeyPurposeId purpose,
      Extensions extra) {
    X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    return build(
        subject,
        keys,
        issuer,
        ca.keys(),
        validity,
        builder -> {
          builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
          builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
          builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
          builder.addExtension(
              Extension.authorityKeyIdentifier,
              false,
              utils().createAuthorityKeyIdentifier(ca.certificate()));
          extra.add(builder);
        });
  }

  @FunctionalInterface
  private interface Extensions {
    void add(X509v3CertificateBuilder builder) throws CertIOException, GeneralSecurityException;
  }

  private static Issued build(
      X500Name subject,
      KeyPair keys,
      X500Name issuer,
      KeyPair issuerKeys,
      Duration validity,
      Extensions extensions) {
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer,
              new BigInteger(127, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(validity)),
              subject,
              keys.getPublic());
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils().createSubjectKeyIdentifier(keys.getPublic()));
      extensions.add(builder);
      var signer = new JcaContentSignerBuilder(SIGNATURE).build(issuerKeys.getPrivate());
      X509Certificate certificate =
          new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      return new Issued(certificate, keys);
    } catch (CertIOException | GeneralSecurityException | OperatorCreationException e) {
      throw new PolicyException("cannot issue a certificate for " + subject + ": " + e, e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "Placeshare")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is required of every Java platform", e);
    }
  }

  private static JcaX509ExtensionUtils utils() {
    try {
      return new JcaX509ExtensionUtils();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }
}
