package org.placeshare.gateway.household;

import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;

/**
 * The people around one person on a day: those living at the same address, and the parents and
 * children sources state, wherever they live. Each member is still decided on their own before
 * anything of theirs leaves.
 *
 * @param address where the person lives that day, if known
 * @param members everyone but the person, each with how they are family to them
 * @param conflicting other addresses sources give for the person that day (a data-quality finding,
 *     never merged into one household)
 */
public record Household(
    NhsNumber person,
    LocalDate day,
    Optional<AddressKey> address,
    List<Member> members,
    Set<AddressKey> conflicting) {

  /**
   * The most people (the person asked about included) released as one household, in a household
   * view or a bulk export. A larger household is a hostel, a care home or a house in multiple
   * occupation: it is not released as one person's family.
   */
  public static final int MAX_RELEASED = 12;

  /** One other person and how they are family to the person asked about. */
  public record Member(NhsNumber person, Set<FamilyRelationship> relationships) {
    public Member {
      Objects.requireNonNull(person, "person");
      relationships = Set.copyOf(relationships);
      if (relationships.isEmpty()) {
        throw new IllegalArgumentException("a member is family somehow");
      }
    }
  }

  public Household {
    Objects.requireNonNull(person, "person");
    Objects.requireNonNull(day, "day");
    Objects.requireNonNull(address, "address");
    members = List.copyOf(members);
    conflicting = Set.copyOf(conflicting);
  }
}
