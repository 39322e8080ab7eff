package org.placeshare.policy.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CRL;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.placeshare.policy.PolicyException;

/**
 * The client CA's certificate revocation lists (RFC 5280 section 5), each verified as signed by one
 * of the CA certificates it is checked against. A list that cannot be read, that names another
 * issuer or whose signature is not the CA's is refused whole.
 */
public final class RevocationList {

  /** A CRL file larger than this is refused: a CA revoking tens of thousands fits well within. */
  public static final int MAX_CRL_BYTES = 8 * 1024 * 1024;

  /** CRLs in one file: one per client CA. */
  static final int MAX_LISTS = 16;

  private final List<X509CRL> lists;
  private final String fingerprint;

  private RevocationList(List<X509CRL> lists, String fingerprint) {
    this.lists = List.copyOf(lists);
    this.fingerprint = fingerprint;
  }

  /**
   * Reads a PEM or DER file of CRLs and checks each against the CA certificates.
   *
   * @throws PolicyException saying what was expected and what came
   */
  public static RevocationList load(Path file, List<X509Certificate> authorities) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_CRL_BYTES) {
        throw new PolicyException(file + ": expected a CRL of at most " + MAX_CRL_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getClass().getSimpleName(), e);
    }
    Collection<? extends CRL> parsed;
    try {
      parsed =
          CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(bytes));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new PolicyException(file + ": expected X.509 CRLs (PEM or DER), got " + e, e);
    }
    if (parsed.isEmpty()) {
      throw new PolicyException(file + ": expected at least one X.509 CRL, got none");
    }
    if (parsed.size() > MAX_LISTS) {
      throw new PolicyException(file + ": expected at most " + MAX_LISTS + " CRLs");
    }
    List<X509CRL> lists = new ArrayList<>();
    for (CRL crl : parsed) {
      X509CRL x509 = (X509CRL) crl;
      X509Certificate ca =
          authorities.stream()
              .filter(a -> a.getSubjectX500Principal().equals(x509.getIssuerX500Principal()))
              .findFirst()
              .orElseThrow(
                  () ->
                      new PolicyException(
                          file
                              + ": expected a CRL issued by the client CA, got one issued by "
                              + x509.getIssuerX500Principal().getName()));
      try {
        x509.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new PolicyException(
            file + ": the CRL's signature is not the client CA's (" + e.getMessage() + ")", e);
      }
      lists.add(x509);
    }
    return new RevocationList(lists, sha256(bytes));
  }

  /** Every CA certificate in a PEM file, such as the configured client CA. */
  public static List<X509Certificate> authorities(Path pem) {
    try (var in = Files.newInputStream(pem)) {
      List<X509Certificate> certificates = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certificates.add((X509Certificate) c);
      }
      if (certificates.isEmpty()) {
        throw new PolicyException(pem + ": expected at least one CA certificate, got none");
      }
      return certificates;
    } catch (IOException | GeneralSecurityException e) {
      throw new PolicyException(pem + ": cannot read CA certificates: " + e.getMessage(), e);
    }
  }

  /** Why this certificate may not be used, if its CA has revoked it. */
  public Optional<String> revoked(X509Certificate certificate) {
    for (X509CRL crl : lists) {
      if (crl.getIssuerX500Principal().equals(certificate.getIssuerX500Principal())) {
        X509CRLEntry entry = crl.getRevokedCertificate(certificate);
        if (entry != null) {
          return Optional.of(
              "the client certificate (serial "
                  + certificate.getSerialNumber().toString(16)
                  + ") was revoked by its CA at "
                  + entry.getRevocationDate().toInstant());
        }
      }
    }
    return Optional.empty();
  }

  /** When the list of this issuer was made, if this file has one. */
  public Optional<Instant> thisUpdate(X500Principal issuer) {
    return lists.stream()
        .filter(l -> l.getIssuerX500Principal().equals(issuer))
        .map(l -> l.getThisUpdate().toInstant())
        .findFirst();
  }

  /** The issuers whose lists this file holds. */
  public List<X500Principal> issuers() {
    return lists.stream().map(X509CRL::getIssuerX500Principal).toList();
  }

  /** The earliest next update the lists promise, if they state one. */
  public Optional<Instant> nextUpdate() {
    return lists.stream()
        .map(X509CRL::getNextUpdate)
        .filter(d -> d != null)
        .map(Date::toInstant)
        .min(Instant::compareTo);
  }

  /** Certificates revoked, over all lists. */
  public int entries() {
    return lists.stream()
        .mapToInt(l -> l.getRevokedCertificates() == null ? 0 : l.getRevokedCertificates().size())
        .sum();
  }

  /** SHA-256 of the file, hex. */
  public String fingerprint() {
    return fingerprint;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
