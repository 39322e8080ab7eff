package org.placeshare.fhir.linkage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.placeshare.policy.NhsNumber;

/**
 * A record of an agency that does not hold the NHS number, linked to one: the basis on which its
 * records join a person's view, named in that view's Provenance.
 *
 * @param source the source's id
 * @param localId the person's id in the source
 * @param reviewer who decided a REVIEWED link (user and client), empty for AUTOMATIC ones
 * @param fingerprint the {@link Demographics#fingerprint} of the demographics the link was made on:
 *     a view releases the record only while the source still gives it these demographics (a hash of
 *     personal data: it never leaves the gateway, not even in the view's Provenance)
 */
public record Link(
    String source,
    String localId,
    NhsNumber nhsNumber,
    MatchGrade grade,
    double score,
    LinkMethod method,
    Optional<String> reviewer,
    Instant linkedAt,
    String fingerprint) {

  private static final Pattern SHA_256_HEX = Pattern.compile("[0-9a-f]{64}");

  public Link {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(localId, "localId");
    Objects.requireNonNull(nhsNumber, "nhsNumber");
    Objects.requireNonNull(grade, "grade");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(reviewer, "reviewer");
    Objects.requireNonNull(linkedAt, "linkedAt");
    Objects.requireNonNull(fingerprint, "fingerprint");
    if (!SHA_256_HEX.matcher(fingerprint).matches()) {
      throw new IllegalArgumentException(
          "expected a fingerprint of 64 lower-case hex digits (SHA-256)");
    }
  }
}
