package org.placeshare.gateway.notify;

/** A reported change that is not one the gateway accepts; the message names the field and why. */
public final class InvalidChangeEvent extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidChangeEvent(String message) {
    super(message, null, false, false);
  }
}
