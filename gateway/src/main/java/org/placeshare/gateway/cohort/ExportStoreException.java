package org.placeshare.gateway.cohort;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A store refused a job's bytes (a full disk, a database that refuses the write). The message is
 * the gateway's own words, never a folder or a server's text: the job's status shows it to the
 * client.
 */
public final class ExportStoreException extends UncheckedIOException {

  private static final long serialVersionUID = 1L;

  public ExportStoreException(String message, Throwable cause) {
    super(message, cause instanceof IOException io ? io : new IOException(message, cause));
  }
}
