package org.placeshare.policy.identity;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.placeshare.policy.FhirResourceTypes;

/**
 * The {@code scope} of a token request, read as SMART App Launch v2 system scopes
 * (hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): {@code system/Patient.rs}, {@code
 * system/*.rs}, and the v1 forms {@code system/Patient.read} and {@code system/*.read} as their v2
 * equivalents. The gateway releases and never writes records, so a scope is granted as read and
 * search ({@code .rs}) when it asks for read or search at all ({@code r}, {@code s}, {@code cruds},
 * v1 {@code read} or {@code *}); one asking only to create, update or delete grants nothing. Scopes
 * of other contexts ({@code user/}, {@code patient/}, {@code launch}, {@code openid}) are not
 * offered and so not granted (RFC 6749 section 3.3 lets the server grant less); a string that is
 * not a scope list at all is refused.
 */
public final class SmartScopes {

  /** Longer than any honest list of system scopes over the FHIR resource types. */
  public static final int MAX_SCOPE_LENGTH = 2048;

  /** More scopes than this in one request is not a real client's request. */
  public static final int MAX_SCOPES = 64;

  /** RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
  private static final Pattern SCOPE_TOKEN = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]+");

  private static final Pattern SYSTEM_SCOPE =
      Pattern.compile("system/(\\*|[A-Z][A-Za-z]{1,63})\\.(read|write|\\*|c?r?u?d?s?)");

  private SmartScopes() {}

  /**
   * What a request asks to read: resource types, or every type ({@code *}).
   *
   * @param everything true when a wildcard was asked for
   */
  public record Requested(Set<String> types, boolean everything) {
    public Requested {
      types = Set.copyOf(types);
    }
  }

  /**
   * Parses a {@code scope} parameter strictly.
   *
   * @throws ScopeException when it is too long, has too many entries, or is not a scope list
   */
  public static Requested parse(String scope) {
    if (scope.length() > MAX_SCOPE_LENGTH) {
      throw new ScopeException(
          "scope must be at most " + MAX_SCOPE_LENGTH + " characters, got " + scope.length());
    }
    String[] entries = scope.strip().split(" +");
    if (entries.length > MAX_SCOPES) {
      throw new ScopeException(
          "scope must list at most " + MAX_SCOPES + " scopes, got " + entries.length);
    }
    Set<String> types = new TreeSet<>();
    boolean everything = false;
    for (String entry : entries) {
      if (entry.isEmpty()) {
        continue;
      }
      if (!SCOPE_TOKEN.matcher(entry).matches()) {
        throw new ScopeException("scope: expected space-separated scope tokens (RFC 6749 3.3)");
      }
      Matcher m = SYSTEM_SCOPE.matcher(entry);
      if (!m.matches() || !reads(m.group(2))) {
        continue;
      }
      String type = m.group(1);
      if (type.equals("*")) {
        everything = true;
      } else if (!FhirResourceTypes.R4.contains(type)) {
        throw new ScopeException("scope " + entry + ": " + type + " is not a FHIR resource type");
      } else {
        types.add(type);
      }
    }
    return new Requested(types, everything);
  }

  /** Whether a permission (v1 {@code read}, {@code *}, or v2 letters) asks to read or search. */
  private static boolean reads(String permission) {
    return permission.equals("read")
        || permission.equals("*")
        || (!permission.equals("write") && (permission.contains("r") || permission.contains("s")));
  }

  /**
   * What is granted: the types asked for that the client's agreements release ({@code allowed}), or
   * all of those when nothing was asked (the NHS signed-JWT pattern sends no scope).
   *
   * @throws ScopeException when nothing asked for is released ({@code invalid_scope})
   */
  public static GrantedScopes grant(Optional<Requested> asked, Set<String> allowed) {
    Set<String> granted = new LinkedHashSet<>();
    if (asked.isEmpty() || asked.get().everything()) {
      granted.addAll(allowed);
    } else {
      asked.get().types().stream().filter(allowed::contains).forEach(granted::add);
    }
    // Nothing asked and nothing released (an IG lead's console, a consent recorder): a token for
    // the gateway's other endpoints, releasing no records. Asked for and not granted: refused.
    if (granted.isEmpty() && asked.isPresent()) {
      throw new ScopeException(
          "none of the scopes asked for is released to this client under the agreements in"
              + " force; system/<type>.rs for the types they release may be asked for");
    }
    return GrantedScopes.of(granted);
  }
}
