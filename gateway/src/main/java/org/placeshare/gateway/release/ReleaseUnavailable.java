package org.placeshare.gateway.release;

/**
 * The gateway's own storage failed a release: nothing was released. Upstream trouble is never this
 * (a source's failure is an outcome); the cause is kept for the operator, never told to a caller.
 */
public final class ReleaseUnavailable extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Which store failed, so the caller can say what could not be done. */
  public enum Store {
    /** The patient register, the consent register or the pilots' daily counts, before deciding. */
    REGISTER,
    /** The pilots' release counts, after fetching and before the audit. */
    RELEASE_COUNT
  }

  private final Store store;

  ReleaseUnavailable(Store store, Throwable cause) {
    super(store + " unavailable", cause);
    this.store = store;
  }

  public Store store() {
    return store;
  }
}
