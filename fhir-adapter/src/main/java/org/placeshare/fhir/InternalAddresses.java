package org.placeshare.fhir;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseExtension;
import org.hl7.fhir.instance.model.api.IBaseHasExtensions;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.UriType;

/**
 * The sources' servers, which no released value may point at: an internal address, which the
 * recipient could not follow anyway. A URI names a server by its scheme, host and port however it
 * is written (any case, a user before the host, a trailing dot, a port with leading zeros or left
 * to the scheme's default, spaces around it); a value that is not a URI, or has no host a URI
 * parser reads, names one if it holds its host, percent-encoded or not.
 */
final class InternalAddresses {

  /** A source's server. */
  private record Origin(String scheme, String host, int port) {
    boolean is(URI uri) {
      if (!host.equals(hostOf(uri))) {
        return false;
      }
      if (uri.getScheme() == null) {
        // Scheme-relative ("//host:port/x"): a browser reads it with the page's scheme.
        return uri.getPort() == -1 || uri.getPort() == port;
      }
      return scheme.equalsIgnoreCase(uri.getScheme())
          && port == portOf(uri.getScheme(), uri.getPort());
    }
  }

  /** ASCII tab, line feed and carriage return. */
  private static final Pattern BREAKS = Pattern.compile("[\\t\\n\\r]");

  private final List<Origin> origins;

  private InternalAddresses(List<Origin> origins) {
    this.origins = origins;
  }

  /** The servers at these base URLs. */
  static InternalAddresses of(List<URI> baseUrls) {
    return new InternalAddresses(
        baseUrls.stream()
            .filter(u -> u.getScheme() != null && u.getRawAuthority() != null)
            .map(
                u ->
                    new Origin(
                        u.getScheme().toLowerCase(Locale.ROOT),
                        u.getHost() != null ? hostOf(u) : authorityHost(u.getRawAuthority()),
                        portOf(u.getScheme(), u.getPort())))
            .distinct()
            .toList());
  }

  /**
   * The host of an authority {@link URI} reads as a registry name (an underscore, as in a
   * container's service name, or letters beyond ASCII), without a user before it or a port after.
   */
  private static String authorityHost(String authority) {
    String host = authority.substring(authority.lastIndexOf('@') + 1);
    int colon = host.lastIndexOf(':');
    if (colon >= 0 && host.indexOf(']') < colon) {
      host = host.substring(0, colon);
    }
    return bareHost(host);
  }

  /** Whether a URI value points at one of the servers. */
  boolean names(String value) {
    // Nearly every URI in a record is a code system's or a profile's: one in plain ASCII without a
    // server's host in it is not parsed (a view holds hundreds).
    if (isPlainAscii(value) && origins.stream().noneMatch(o -> holdsIgnoringCase(value, o))) {
      return false;
    }
    // A URL parser as browsers have it drops tabs and line breaks anywhere in a URL.
    String v = BREAKS.matcher(value.strip()).replaceAll("");
    try {
      URI uri = new URI(v);
      if (hostOf(uri) != null) {
        return origins.stream().anyMatch(o -> o.is(uri));
      }
    } catch (URISyntaxException e) {
      // not a URI: read below as text
    }
    // Read as such a parser reads a host: full-width letters and ideographic full stops are the
    // ASCII ones (NFKC, UTS 46).
    String text =
        Normalizer.normalize(decoded(v), Normalizer.Form.NFKC)
            .replace('\u3002', '.')
            .replace('\uff61', '.');
    return origins.stream().anyMatch(o -> holdsIgnoringCase(text, o));
  }

  /** Printable ASCII without a percent escape: what a host can hide in is none of it. */
  private static boolean isPlainAscii(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '%') {
        return false;
      }
    }
    return true;
  }

  private static boolean holdsIgnoringCase(String text, Origin origin) {
    String host = origin.host();
    char lower = host.charAt(0);
    char upper = Character.toUpperCase(lower);
    return holdsFrom(text, host, lower) || (upper != lower && holdsFrom(text, host, upper));
  }

  /** indexOf finds the host's first letter quickly; only there is the rest compared. */
  private static boolean holdsFrom(String text, String host, char first) {
    for (int i = text.indexOf(first); i >= 0; i = text.indexOf(first, i + 1)) {
      if (text.regionMatches(true, i, host, 0, host.length())) {
        return true;
      }
    }
    return false;
  }

  /** The text with its percent escapes decoded, where they are well formed. */
  private static String decoded(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }

  /**
   * Drops every URI value (an attachment's URL, an identifier's system, implicit rules) pointing at
   * a source's server. References are resolved or removed by {@link BundleReferences}. The record's
   * own id is not one of them: HAPI gives a record of a search reply its entry's full URL (the
   * source's address) as its id, and the view names the record by that id's last part; dropped,
   * every record of a type would be {@code Type/null}, and references between them would resolve to
   * the wrong one.
   *
   * <p>An extension whose URL points there goes whole: its URL says what it means, and FHIR has no
   * extension without one. A modifier extension changes the meaning of what it is on, so neither it
   * nor anything in it may go: a record with one holding such a value is not released.
   *
   * @param uris the record's URI elements ({@link PopulatedElements})
   * @param modifierExtensions whether the same walk passed a modifier extension
   * @return false when the record must not be released
   */
  boolean drop(Resource r, List<UriType> uris, boolean modifierExtensions) {
    Set<Base> dropped = Collections.newSetFromMap(new IdentityHashMap<>());
    for (UriType uri : uris) {
      if (uri.getValue() != null && uri != r.getIdElement() && names(uri.getValue())) {
        dropped.add(uri);
      }
    }
    if (dropped.isEmpty()) {
      return true; // nearly always: the walks below are for the rare record that has some
    }
    if (modifierExtensions && ModifierExtensions.hold(r, dropped::contains)) {
      return false;
    }
    Predicate<IBaseExtension<?, ?>> namedThere =
        x -> x instanceof Extension e && dropped.contains(e.getUrlElement());
    for (IBase element : PopulatedElements.of(r, IBase.class)) {
      if (element instanceof IBaseHasExtensions e) {
        e.getExtension().removeIf(namedThere);
      }
    }
    dropped.forEach(uri -> ((UriType) uri).setValue(null));
    return true;
  }

  /** The host, lower case, without the trailing dot of a fully qualified name; null if none. */
  private static String hostOf(URI uri) {
    String host = uri.getHost();
    if (host == null) {
      return null;
    }
    return bareHost(host);
  }

  /** Lower case, without the trailing dot of a fully qualified name. */
  private static String bareHost(String host) {
    String lower = host.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }

  /** The port, or the scheme's own where none is written. */
  private static int portOf(String scheme, int port) {
    if (port != -1) {
      return port;
    }
    return switch (scheme == null ? "" : scheme.toLowerCase(Locale.ROOT)) {
      case "http" -> 80;
      case "https" -> 443;
      default -> -1;
    };
  }
}
