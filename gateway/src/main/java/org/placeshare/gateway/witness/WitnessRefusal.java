package org.placeshare.gateway.witness;

/**
 * Why the witness will not cosign, as C2SP tlog-witness answers it: a status, and a body (one line
 * of text, or for 409 the size the witness last cosigned as {@code text/x.tlog.size}). Handlers
 * fail with it through {@code ctx.fail}; one failure handler writes it.
 */
final class WitnessRefusal extends Exception {
  private static final long serialVersionUID = 1L;

  static final String TEXT = "text/plain; charset=utf-8";

  /** The spec's content type for the size a 409 answers. */
  static final String SIZE = "text/x.tlog.size";

  private final int status;
  private final String contentType;
  private final String body;

  private WitnessRefusal(int status, String contentType, String body, String reason) {
    super(reason, null, false, false);
    this.status = status;
    this.contentType = contentType;
    this.body = body;
  }

  /** A refusal whose body is its reason, one line. */
  static WitnessRefusal because(int status, String reason) {
    return new WitnessRefusal(status, TEXT, reason + "\n", reason);
  }

  /** 409: the request is out of step with the size the witness last cosigned. */
  static WitnessRefusal outOfStep(long cosignedSize, String reason) {
    return new WitnessRefusal(409, SIZE, cosignedSize + "\n", reason);
  }

  int status() {
    return status;
  }

  String contentType() {
    return contentType;
  }

  String body() {
    return body;
  }
}
