package org.placeshare.gateway.linkage;

import java.util.Locale;

/** Where a link stands: only a LINKED one joins a source's records into a view. */
public enum LinkStatus {
  /** Live: the record's records join the person's views. */
  LINKED,
  /** A data steward undid it; a later sync never re-links it without a steward's review. */
  UNDONE,
  /** Its demographics changed (or traced elsewhere): not live until a steward decides. */
  RECHECKING;

  public String code() {
    return name().toLowerCase(Locale.ROOT);
  }

  static LinkStatus of(String code) {
    return valueOf(code.toUpperCase(Locale.ROOT));
  }
}
