package org.placeshare.policy.identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.placeshare.policy.FhirResourceTypes;

/**
 * The {@code scope} of a token request, read as SMART App Launch v2 system scopes
 * (hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): {@code system/Patient.rs}, {@code
 * system/*.rs}, and the v1 forms {@code system/Patient.read} and {@code system/*.read}. The gateway
 * releases and never writes records, so a scope is granted when it asks to read or search ({@code
 * r}, {@code s}, {@code cruds}, v1 {@code read} or {@code *}), as read and search only, in the
 * version it was asked in ({@code system/*.*} is granted as {@code system/*.read}, {@code
 * system/*.cruds} as {@code system/*.rs}): SMART clients check the granted scopes against what they
 * asked for in their own form. One asking only to create, update or delete grants nothing. Scopes
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
   * One scope asked for that reads: a resource type or {@code *}, and the permission it is granted
   * with if granted (v1 {@code read}, or the v2 letters among {@code r} and {@code s} it asked).
   */
  public record Asked(String type, String permission) {

    boolean everything() {
      return type.equals(GrantedScopes.EVERY_TYPE);
    }

    String scope() {
      return "system/" + type + "." + permission;
    }
  }

  /**
   * Parses a {@code scope} parameter strictly: the scopes in it that ask to read.
   *
   * @throws ScopeException when it is too long, has too many entries, or is not a scope list
   */
  public static List<Asked> parse(String scope) {
    if (scope.length() > MAX_SCOPE_LENGTH) {
      throw new ScopeException(
          "scope must be at most " + MAX_SCOPE_LENGTH + " characters, got " + scope.length());
    }
    String[] entries = scope.strip().split(" +");
    if (entries.length > MAX_SCOPES) {
      throw new ScopeException(
          "scope must list at most " + MAX_SCOPES + " scopes, got " + entries.length);
    }
    List<Asked> asked = new ArrayList<>();
    for (String entry : entries) {
      if (entry.isEmpty()) {
        continue;
      }
      if (!SCOPE_TOKEN.matcher(entry).matches()) {
        throw new ScopeException("scope: expected space-separated scope tokens (RFC 6749 3.3)");
      }
      Matcher m = SYSTEM_SCOPE.matcher(entry);
      if (!m.matches()) {
        continue;
      }
      String type = m.group(1);
      Optional<String> permission = readOnly(m.group(2));
      if (permission.isEmpty()) {
        continue;
      }
      if (!type.equals(GrantedScopes.EVERY_TYPE) && !FhirResourceTypes.R4.contains(type)) {
        throw new ScopeException("scope " + entry + ": " + type + " is not a FHIR resource type");
      }
      asked.add(new Asked(type, permission.get()));
    }
    return List.copyOf(asked);
  }

  /** The reading part of a permission (v1 {@code read}, {@code *}, or v2 letters), if any. */
  private static Optional<String> readOnly(String permission) {
    if (permission.equals("read") || permission.equals("*")) {
      return Optional.of("read");
    }
    if (permission.equals("write")) {
      return Optional.empty();
    }
    String letters = (permission.contains("r") ? "r" : "") + (permission.contains("s") ? "s" : "");
    return letters.isEmpty() ? Optional.empty() : Optional.of(letters);
  }

  /**
   * What is granted: the types asked for that the client's agreements release now ({@code
   * allowed}); a wildcard asked for is granted as a wildcard, every type the agreements release at
   * each request (they decide every release, and may change while the token lives); with nothing
   * asked (the NHS signed-JWT pattern sends no scope), every type in {@code allowed}, in v2 form.
   *
   * @throws ScopeException when nothing asked for is released ({@code invalid_scope})
   */
  public static GrantedScopes grant(Optional<List<Asked>> asked, Set<String> allowed) {
    if (asked.isEmpty()) {
      Set<String> scopes = new TreeSet<>();
      allowed.forEach(t -> scopes.add(new Asked(t, "rs").scope()));
      return GrantedScopes.of(scopes);
    }
    Set<String> scopes = new TreeSet<>();
    for (Asked a : asked.get()) {
      if (a.everything() || allowed.contains(a.type())) {
        scopes.add(a.scope());
      }
    }
    // Asked for and not granted: refused. (Nothing asked and nothing released, as for an IG
    // lead's console or a consent recorder: a token for the gateway's other endpoints.)
    if (scopes.isEmpty()) {
      throw new ScopeException(
          "none of the scopes asked for is released to this client under the agreements in"
              + " force; system/<type>.rs for the types they release may be asked for");
    }
    return GrantedScopes.of(scopes);
  }
}
