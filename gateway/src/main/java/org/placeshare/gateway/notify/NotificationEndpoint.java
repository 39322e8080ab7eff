package org.placeshare.gateway.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * The one check on a subscription's {@code channel.endpoint}, so that a subscription cannot make
 * the gateway send requests where it should not (server-side request forgery): an absolute {@code
 * https} URL (plain {@code http} only to a loopback host, for a receiver on the same machine), no
 * user or password in it, no fragment, and a host registered for the client ({@code
 * clients[].notificationHosts}), compared exactly: an IP address is accepted only where it is
 * registered as such. Delivery follows no redirect, so the host checked is the host called.
 */
public final class NotificationEndpoint {

  /** An endpoint URL longer than this is not one. */
  public static final int MAX_URL_CHARS = 2_048;

  /** Why an endpoint is refused: its form (400), or its host (403). */
  public static final class Refused extends RuntimeException {
    private final boolean forbidden;

    Refused(boolean forbidden, String message) {
      super(message, null, false, false);
      this.forbidden = forbidden;
    }

    /** True when the URL is well formed but its host is not one the client may use. */
    public boolean forbidden() {
      return forbidden;
    }
  }

  private NotificationEndpoint() {}

  /**
   * The endpoint, checked.
   *
   * @param hosts the client's registered notification hosts
   * @throws Refused saying what was expected and what came
   */
  public static URI check(String url, Set<String> hosts) {
    if (url == null || url.isBlank()) {
      throw new Refused(false, "Subscription.channel.endpoint: expected an https URL, got none");
    }
    if (url.length() > MAX_URL_CHARS) {
      throw new Refused(
          false,
          "Subscription.channel.endpoint: expected at most "
              + MAX_URL_CHARS
              + " characters, got "
              + url.length());
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new Refused(
          false, "Subscription.channel.endpoint: expected a URL, got one that is not");
    }
    if (!uri.isAbsolute() || uri.isOpaque() || uri.getRawAuthority() == null) {
      throw new Refused(false, "Subscription.channel.endpoint: expected an absolute https URL");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused(
          false, "Subscription.channel.endpoint: expected no user or password in the URL");
    }
    if (uri.getRawFragment() != null) {
      throw new Refused(false, "Subscription.channel.endpoint: expected no fragment");
    }
    String host = uri.getHost();
    if (host == null) {
      throw new Refused(false, "Subscription.channel.endpoint: expected a host name");
    }
    host = host.toLowerCase(Locale.ROOT);
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("http") && !loopback(host)) {
      throw new Refused(
          false,
          "Subscription.channel.endpoint: expected https, got http to "
              + host
              + " (plain http is accepted only to a loopback host)");
    }
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new Refused(false, "Subscription.channel.endpoint: expected https, got " + scheme);
    }
    if (!hosts.contains(host)) {
      throw new Refused(
          true,
          "Subscription.channel.endpoint: expected a host registered for your client, got " + host);
    }
    return uri;
  }

  /** Loopback by name or address, never by resolving: a name's address can change. */
  static boolean loopback(String host) {
    return host.equals("localhost")
        || host.equals("[::1]")
        || host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
  }
}
