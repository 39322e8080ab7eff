package org.placeshare.gateway.audit;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One file a bulk export wrote, as its completion event binds it: the file's name, the resource
 * type it holds, how many resources, and the digest of its bytes exactly as they are served.
 * Whoever downloaded the file can later prove what they received by hashing it and showing the
 * event's inclusion proof.
 *
 * @param name the file's name as the manifest's URL ends, such as {@code Patient.ndjson}
 * @param type the resource type of its lines ({@code OperationOutcome} for the error file)
 * @param count the number of resources (lines) in it
 * @param digest the SHA-256, length and media type of its bytes
 */
public record ExportedFile(String name, String type, long count, SentDigest digest) {

  /** Resource types are letters only; a name is the type and its extension. */
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z]{1,63}");

  public ExportedFile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(digest, "digest");
    if (!TYPE.matcher(type).matches()) {
      throw new IllegalArgumentException("expected a resource type, got " + type);
    }
    if (count < 0) {
      throw new IllegalArgumentException("expected a count of at least 0, got " + count);
    }
  }
}
