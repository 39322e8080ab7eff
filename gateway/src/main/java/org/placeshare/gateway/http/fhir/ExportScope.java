package org.placeshare.gateway.http.fhir;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.policy.identity.GrantedScopes;

/**
 * The resource types a bulk job may write, fixed at its kick-off under the access token's SMART
 * scopes (<a href="https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html">SMART v2
 * scopes</a>): the job itself runs later, for a caller rebuilt from what it kept and so without a
 * token, and releases only the types fixed here. A wildcard scope narrows nothing (the agreements
 * decide). Otherwise a {@code _type} naming a type the scope does not grant is refused, 403, rather
 * than narrowed: a file quietly missing would read as "no such records". Without {@code _type}, the
 * job writes the types the scope grants (the agreements narrow further). {@code Group} is the
 * cohort itself, not a member's record: a scope of {@code Group} alone exports nothing, and is
 * refused.
 */
final class ExportScope {

  /** The cohort's own type, which every cohort endpoint requires: not a type of member records. */
  static final String GROUP = "Group";

  private ExportScope() {}

  /**
   * The types the job writes (empty: all the agreements release), or a 403 naming what the scope
   * lacks.
   *
   * @param asked {@code _type}, or the types {@code $summary} counts from (all needed)
   * @param operation the operation's name ({@code $export}, {@code $summary}), for the message
   */
  static Optional<Set<String>> types(
      GrantedScopes scopes, Optional<Set<String>> asked, String operation) {
    if (scopes.unrestricted()) {
      return asked;
    }
    if (asked.isPresent()) {
      Set<String> lacking = new TreeSet<>(asked.get());
      lacking.removeIf(scopes::allows);
      if (!lacking.isEmpty()) {
        throw refused(
            operation
                + ": the access token's scope does not grant "
                + String.join(", ", lacking)
                + "; ask for system/"
                + String.join(".rs system/", lacking)
                + ".rs"
                + (operation.equals(CohortEndpoints.SUMMARY)
                    ? " (its figures are counted from both)"
                    : ", or leave " + (lacking.size() == 1 ? "it" : "them") + " out of _type"),
            scopes);
      }
      return asked;
    }
    Set<String> granted = new TreeSet<>(scopes.resourceTypes());
    granted.remove(GROUP);
    if (granted.isEmpty()) {
      throw refused(
          operation
              + ": the access token's scope grants no type of record to export; ask for"
              + " system/Patient.rs and the other types wanted",
          scopes);
    }
    return Optional.of(Set.copyOf(granted));
  }

  private static GatewayException refused(String message, GrantedScopes scopes) {
    return new GatewayException(
        403, IssueType.FORBIDDEN, message, "export refused under scope " + scopes);
  }
}
