package org.placeshare.policy.identity;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Which client a client certificate names (mutual TLS). A certificate names its client by a subject
 * alternative name URI {@value #CLIENT_URI_PREFIX}{@code <client id>} (RFC 5280 section 4.2.1.6),
 * or, in certificates made before those names, by its subject CN alone.
 *
 * <p>The rule, strict by default: at most one client URI; when there is one, it names the client
 * and the CN may be anything (a display name) except the id of another registered client, which
 * would make the certificate name two clients; without one, the CN must be the client id. DNS names
 * are not read: they name hosts, and a client id need not be a host name.
 */
public record CertificateIdentity(String commonName, List<String> sanClients) {

  /** The URI prefix of a subject alternative name that names a client system. */
  public static final String CLIENT_URI_PREFIX = "urn:placeshare:client:";

  /** Subject alternative names read from one certificate; a real one has a handful. */
  static final int MAX_NAMES = 64;

  private static final int URI_NAME = 6;

  public CertificateIdentity {
    sanClients = List.copyOf(sanClients);
  }

  /** The names a certificate carries. */
  public static CertificateIdentity of(X509Certificate certificate) {
    List<String> clients = new ArrayList<>();
    Collection<List<?>> names;
    try {
      names = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      names = null;
    }
    int seen = 0;
    for (List<?> name : names == null ? List.<List<?>>of() : names) {
      if (++seen > MAX_NAMES) {
        break;
      }
      if (name.size() == 2
          && name.get(0) instanceof Integer type
          && type == URI_NAME
          && name.get(1) instanceof String uri
          && uri.startsWith(CLIENT_URI_PREFIX)) {
        String id = uri.substring(CLIENT_URI_PREFIX.length());
        if (!clients.contains(id)) {
          clients.add(id);
        }
      }
    }
    return new CertificateIdentity(commonName(certificate), clients);
  }

  /**
   * Why this certificate is not the given client's, if it is not.
   *
   * @param registry the clients in force, to tell a display-name CN from another client's id
   */
  public Optional<String> refusal(String clientId, ClientRegistry registry) {
    if (sanClients.size() > 1) {
      return Optional.of("the client certificate names more than one client " + sanClients);
    }
    if (sanClients.isEmpty()) {
      return commonName.equals(clientId)
          ? Optional.empty()
          : Optional.of("the client certificate is not " + clientId + "'s");
    }
    String named = sanClients.get(0);
    if (!named.equals(clientId)) {
      return Optional.of("the client certificate is not " + clientId + "'s");
    }
    if (!commonName.equals(named) && registry.find(commonName).isPresent()) {
      return Optional.of(
          "the client certificate's CN names client "
              + commonName
              + " but its subject alternative name names "
              + named);
    }
    return Optional.empty();
  }

  private static String commonName(X509Certificate certificate) {
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      return "";
    }
    return "";
  }
}
