package org.placeshare.policy.identity;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SMART system scopes an access token carries in its {@code scope} claim, as granted ({@code
 * system/Patient.rs system/Condition.read}, or a wildcard {@code system/*.rs}): what the client
 * asked for, narrowed to the types its agreements released when the token was issued; a wildcard
 * stands for every type the agreements release at each request. The agreements still decide every
 * release; a scope only narrows. A background job's caller, rebuilt from what the job kept, is
 * {@link #UNRESTRICTED}: the job's types were narrowed to the token's scopes at its kick-off, and
 * it releases those only.
 */
public final class GrantedScopes {

  /** The resource type of a wildcard scope. */
  static final String EVERY_TYPE = "*";

  /** For a job's caller only: narrows nothing; the agreements decide. */
  static final GrantedScopes UNRESTRICTED = new GrantedScopes(Set.of(), true);

  /** A granted scope: read ({@code read}) or read and search letters, nothing that writes. */
  private static final Pattern GRANTED =
      Pattern.compile("system/(\\*|[A-Z][A-Za-z]{1,63})\\.(read|rs|r|s)");

  private final Set<String> scopes;
  private final Set<String> types;
  private final boolean everyType;

  private GrantedScopes(Set<String> scopes, boolean everyType) {
    this.scopes = new TreeSet<>(scopes);
    this.types = new TreeSet<>();
    boolean wildcard = everyType;
    for (String scope : scopes) {
      Matcher m = GRANTED.matcher(scope);
      if (!m.matches()) {
        throw new TokenException("claim scope: expected system/<type>.rs or .read entries");
      }
      if (m.group(1).equals(EVERY_TYPE)) {
        wildcard = true;
      } else {
        types.add(m.group(1));
      }
    }
    this.everyType = wildcard;
  }

  static GrantedScopes of(Set<String> scopes) {
    return new GrantedScopes(scopes, false);
  }

  /** The granted scopes of a token's {@code scope} claim. */
  static GrantedScopes fromClaim(String claim) {
    return of(claim.isEmpty() ? Set.of() : Set.of(claim.split(" ")));
  }

  /** Whether records of this type may be released to the caller (the agreements still decide). */
  public boolean allows(String resourceType) {
    return everyType || types.contains(resourceType);
  }

  /** Whether every type is allowed: a wildcard scope, or a job's caller; the agreements decide. */
  public boolean unrestricted() {
    return everyType;
  }

  /** The types named (empty for a wildcard or a job's caller). */
  public Set<String> resourceTypes() {
    return Set.copyOf(types);
  }

  /** The {@code scope} string: space-separated and sorted, each scope as it was granted. */
  public String scope() {
    return String.join(" ", scopes);
  }

  @Override
  public String toString() {
    return scopes.isEmpty() && everyType ? "(unrestricted)" : scope();
  }
}
