package org.placeshare.fhir;

/**
 * A source answered, but what it answered is held back from the view: about someone else than the
 * person asked for ({@link AboutThePerson.Conflict}), or a traced record whose details changed
 * since it was linked. The source is up: {@link SourceFetch}'s breaker does not count it as a
 * failure, so asking about one such person cannot cut the source off for everyone.
 */
public class WithheldAnswer extends UpstreamException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message why, in words safe to show (never a value the source sent)
   */
  public WithheldAnswer(String message) {
    super(message);
  }
}
