package org.placeshare.gateway.http.linkage;

import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.mapped.Roster;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.gateway.http.edge.RequestState;
import org.placeshare.gateway.http.oauth.IgLead;
import org.placeshare.gateway.http.oauth.RegisteredRole;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.ClientRegistrations;

/**
 * Who may see and decide which links: a caller holding the {@value #ROLE} role (its token claims it
 * and its client is registered for it, see {@link RegisteredRole}) sees and acts on the traced
 * sources of its client's organisation only; an IG lead may read every source's, and decides none.
 */
final class DataSteward {

  static final String ROLE = "data-steward";

  private final RegisteredRole role;
  private final IgLead igLead;
  // Source id -> its organisation's ODS code, in the configured order.
  private final Map<String, String> organisations = new LinkedHashMap<>();

  // The traced sources among them: those a sync reads and the sources listing shows.
  private final Set<String> traced;

  /**
   * @param sources every configured source: the register may hold links of any, and each is its
   *     organisation's to steward
   * @param traced the traced sources (rosters) among them
   */
  DataSteward(
      ClientRegistrations registrations,
      IgLead igLead,
      List<SourceDescriptor> sources,
      List<Roster> traced) {
    this.role = new RegisteredRole(ROLE, registrations);
    this.igLead = igLead;
    sources.forEach(d -> organisations.put(d.id(), d.organisation().value()));
    traced.forEach(
        r -> organisations.putIfAbsent(r.descriptor().id(), r.descriptor().organisation().value()));
    this.traced = traced.stream().map(r -> r.descriptor().id()).collect(Collectors.toSet());
  }

  /** Of these sources, the traced ones, in the same order. */
  List<String> traced(List<String> sources) {
    return sources.stream().filter(traced::contains).toList();
  }

  /** A route handler letting through data stewards and IG leads: anyone else is a 403, audited. */
  void require(RoutingContext ctx) {
    Caller caller = RequestState.get(ctx).caller;
    Optional<String> notSteward = role.whyNot(caller);
    if (notSteward.isPresent() && !igLead.is(caller)) {
      ctx.fail(
          403,
          new GatewayException(
              IssueType.FORBIDDEN,
              "this endpoint is for data stewards and information governance leads",
              notSteward.get()));
      return;
    }
    ctx.next();
  }

  /** The sources the caller may read, in the configured order. */
  List<String> readable(Caller caller) {
    if (role.whyNot(caller).isEmpty()) {
      return own(caller);
    }
    return igLead.is(caller) ? List.copyOf(organisations.keySet()) : List.of();
  }

  /**
   * Whether the caller is shown the NHS numbers of links: an IG lead is, as one may see any link; a
   * data steward never (one holding both roles reads as the steward it is).
   */
  boolean seesNhsNumbers(Caller caller) {
    return role.whyNot(caller).isPresent() && igLead.is(caller);
  }

  /** The sources whose links the caller may decide or undo: a steward's organisation's only. */
  Set<String> decidable(Caller caller) {
    Optional<String> why = role.whyNot(caller);
    if (why.isPresent()) {
      throw new GatewayException(
          403,
          IssueType.FORBIDDEN,
          "deciding and undoing links is for the source's data steward",
          why.get());
    }
    return Set.copyOf(own(caller));
  }

  private List<String> own(Caller caller) {
    String ods = caller.organisation().value();
    return organisations.entrySet().stream()
        .filter(e -> e.getValue().equals(ods))
        .map(Map.Entry::getKey)
        .collect(Collectors.toList());
  }
}
