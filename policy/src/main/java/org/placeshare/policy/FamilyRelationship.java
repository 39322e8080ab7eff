package org.placeshare.policy;

import java.util.Optional;

/**
 * How another person is family to the person asked about, as an agreement's family clause names it:
 * living at the same address ({@code household}), or a parent or child a source states ({@code
 * parent-child}), wherever they live.
 */
public enum FamilyRelationship implements Coded {
  HOUSEHOLD("household"),
  PARENT_CHILD("parent-child");

  private final String code;

  FamilyRelationship(String code) {
    this.code = code;
  }

  @Override
  public String code() {
    return code;
  }

  public static Optional<FamilyRelationship> of(String code) {
    return Coded.of(FamilyRelationship.class, code);
  }
}
