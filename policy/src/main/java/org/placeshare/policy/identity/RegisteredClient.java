package org.placeshare.policy.identity;

import com.nimbusds.jose.jwk.ECKey;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/**
 * A client system registered with the gateway: its id, the organisation it acts for, the public key
 * its assertions are signed with, the purposes of use it may claim, the roles it may vouch for (a
 * client asking for a token for any other role, {@code ig-lead} included, is refused), and whether
 * it is active or suspended (a suspended client gets no token and its tokens, sessions and jobs
 * stop), and the hosts its notification endpoints may be on (issue 19: a subscription's rest-hook
 * goes to one of these and nowhere else).
 */
public record RegisteredClient(
    String id,
    OdsCode organisation,
    ClientKeys keys,
    Set<PurposeOfUse> purposes,
    Set<String> roles,
    Status status,
    Set<String> notificationHosts,
    Kind kind) {

  /**
   * Whether the client acts for end users it vouches for ({@code user}, the NHS signed-JWT
   * pattern's {@code user_id}, {@code user_role}, {@code purpose_of_use}) or for no one but itself
   * ({@code system}, SMART Backend Services: a BI tool, a nightly export), with the one role and
   * one purpose of use its registration fixes.
   */
  public enum Kind {
    USER,
    SYSTEM;

    /** As the clients file spells it: {@code user}, {@code system}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Kind> of(String code) {
      for (Kind k : values()) {
        if (k.code().equals(code)) {
          return Optional.of(k);
        }
      }
      return Optional.empty();
    }
  }

  /** Whether the client may act now. Removal is deletion from the registry, not a status. */
  public enum Status {
    ACTIVE,
    SUSPENDED;

    /** The status as the clients file and the audit spell it: {@code active}, {@code suspended}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The status for its code, if it is one. */
    public static Optional<Status> of(String code) {
      for (Status s : values()) {
        if (s.code().equals(code)) {
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }
  }

  public RegisteredClient {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(organisation, "organisation");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(kind, "kind");
    purposes = Set.copyOf(purposes);
    roles = Set.copyOf(roles);
    notificationHosts = Set.copyOf(notificationHosts);
    for (String role : roles) {
      if (!isRoleName(role)) {
        throw new IllegalArgumentException(
            "role: expected a lower-case role name such as clinician, got " + role);
      }
    }
    if (kind == Kind.SYSTEM && (roles.size() != 1 || purposes.size() != 1)) {
      throw new IllegalArgumentException(
          "a system client is registered with exactly one role and one purpose of use");
    }
  }

  /** A user-facing client with today's single EC P-256 key and these notification hosts. */
  public RegisteredClient(
      String id,
      OdsCode organisation,
      ECKey publicKey,
      Set<PurposeOfUse> purposes,
      Set<String> roles,
      Status status,
      Set<String> notificationHosts) {
    this(
        id,
        organisation,
        ClientKeys.pem(publicKey),
        purposes,
        roles,
        status,
        notificationHosts,
        Kind.USER);
  }

  /** A system client's one role (its registration has exactly one). */
  public String systemRole() {
    return roles.iterator().next();
  }

  /** A system client's one purpose of use (its registration has exactly one). */
  public PurposeOfUse systemPurpose() {
    return purposes.iterator().next();
  }

  public boolean system() {
    return kind == Kind.SYSTEM;
  }

  /** A client with no notification hosts: it may not subscribe to change notifications. */
  public RegisteredClient(
      String id,
      OdsCode organisation,
      ECKey publicKey,
      Set<PurposeOfUse> purposes,
      Set<String> roles,
      Status status) {
    this(id, organisation, publicKey, purposes, roles, status, Set.of());
  }

  /** An active client. */
  public RegisteredClient(
      String id,
      OdsCode organisation,
      ECKey publicKey,
      Set<PurposeOfUse> purposes,
      Set<String> roles) {
    this(id, organisation, publicKey, purposes, roles, Status.ACTIVE);
  }

  /** Whether a string has the form of a role, as a token's {@code user_role} must. */
  public static boolean isRoleName(String role) {
    return role != null && Jwts.ROLE_FORM.matcher(role).matches();
  }

  public boolean active() {
    return status == Status.ACTIVE;
  }
}
