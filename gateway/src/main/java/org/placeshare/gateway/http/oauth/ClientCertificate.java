package org.placeshare.gateway.http.oauth;

import com.nimbusds.jose.util.Base64URL;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.placeshare.policy.identity.CertificateIdentity;

/**
 * The certificate a client presented on this connection (mutual TLS), already checked against the
 * configured CA by the TLS handshake: the names it carries (which client it names is decided by
 * {@link CertificateIdentity}), its RFC 8705 thumbprint, and the certificate itself, for the CA's
 * revocation list.
 */
record ClientCertificate(
    CertificateIdentity identity, String thumbprint, X509Certificate certificate) {

  /** Its subject CN. */
  String commonName() {
    return identity.commonName();
  }

  /** The connection's client certificate, if it presented one. */
  static Optional<ClientCertificate> of(RoutingContext ctx) {
    if (!ctx.request().isSSL()) {
      return Optional.empty();
    }
    List<Certificate> chain;
    try {
      chain = ctx.request().connection().peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
    if (chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    return Optional.of(new ClientCertificate(CertificateIdentity.of(leaf), thumbprint(leaf), leaf));
  }

  /** base64url(SHA-256(DER)), the {@code x5t#S256} of RFC 8705 section 3.1. */
  static String thumbprint(X509Certificate certificate) {
    try {
      return Base64URL.encode(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()))
          .toString();
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot hash a certificate the handshake accepted", e);
    }
  }
}
