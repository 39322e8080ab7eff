package org.placeshare.policy.identity;

import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The resource types an access token lets its caller be released, as its {@code scope} claim says
 * in SMART v2 form ({@code system/Patient.rs system/Observation.rs}): what the client asked for,
 * narrowed to what its agreements release when the token was issued. The agreements still decide
 * every release; a scope only narrows. A background job's caller, rebuilt from what the job kept,
 * is {@link #UNRESTRICTED}: the job's types were fixed when it was started.
 */
public final class GrantedScopes {

  /** For a job's caller only: narrows nothing; the agreements decide. */
  static final GrantedScopes UNRESTRICTED = new GrantedScopes(Set.of(), true);

  private final Set<String> types;
  private final boolean unrestricted;

  private GrantedScopes(Set<String> types, boolean unrestricted) {
    this.types = Set.copyOf(types);
    this.unrestricted = unrestricted;
  }

  static GrantedScopes of(Set<String> types) {
    return new GrantedScopes(types, false);
  }

  /** The granted scopes of a token's {@code scope} claim, each {@code system/<Type>.rs}. */
  static GrantedScopes fromClaim(String claim) {
    Set<String> types = new TreeSet<>();
    for (String entry : claim.isEmpty() ? new String[0] : claim.split(" ")) {
      if (!entry.startsWith("system/") || !entry.endsWith(".rs")) {
        throw new TokenException("claim scope: expected system/<type>.rs entries");
      }
      types.add(entry.substring("system/".length(), entry.length() - ".rs".length()));
    }
    return of(types);
  }

  /** Whether records of this type may be released to the caller. */
  public boolean allows(String resourceType) {
    return unrestricted || types.contains(resourceType);
  }

  /** The granted types, when narrowed; a job's caller narrows nothing. */
  public boolean unrestricted() {
    return unrestricted;
  }

  /** The granted types (empty when {@link #unrestricted}). */
  public Set<String> resourceTypes() {
    return types;
  }

  /** The {@code scope} string: space-separated, sorted, SMART v2. */
  public String scope() {
    return types.stream().sorted().map(t -> "system/" + t + ".rs").collect(Collectors.joining(" "));
  }

  @Override
  public String toString() {
    return unrestricted ? "(unrestricted)" : scope();
  }
}
