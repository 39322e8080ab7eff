package org.placeshare.policy;

import java.util.Optional;

/** An enum written in agreement files by a code of its own, such as {@code registered-gp}. */
interface Coded {

  String code();

  /** The member written as {@code code}, if any. */
  static <E extends Enum<E> & Coded> Optional<E> of(Class<E> type, String code) {
    for (E e : type.getEnumConstants()) {
      if (e.code().equals(code)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
