package org.placeshare.fhir.linkage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/**
 * A record of an agency that does not hold the NHS number, linked to one: the basis on which its
 * records join a person's view, named in that view's Provenance.
 *
 * @param source the source's id
 * @param localId the person's id in the source
 * @param reviewer who decided a REVIEWED link (user and client), empty for AUTOMATIC ones
 */
public record Link(
    String source,
    String localId,
    NhsNumber nhsNumber,
    MatchGrade grade,
    double score,
    LinkMethod method,
    Optional<String> reviewer,
    Instant linkedAt) {

  public Link {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(localId, "localId");
    Objects.requireNonNull(nhsNumber, "nhsNumber");
    Objects.requireNonNull(grade, "grade");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(reviewer, "reviewer");
    Objects.requireNonNull(linkedAt, "linkedAt");
  }
}
