package org.placeshare.policy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.placeshare.policy.WordedEvaluation.Words;

/**
 * The decisions as PolicySet made them before issue 22 indexed it further, kept as the oracle the
 * index is compared with: every agreement scanned in decision order for each question, the
 * evaluation loop copied as it was, and each agreement evaluated by {@link WordedEvaluation}, the
 * evaluation as it was, which writes every word at once. Test code only.
 */
final class LinearPolicy {

  private static final Comparator<Agreement> ORDER =
      Comparator.comparing(Agreement::id)
          .thenComparing(Agreement::version, Comparator.reverseOrder());

  private final List<Agreement> agreements;

  LinearPolicy(List<Agreement> agreements) {
    this.agreements = agreements.stream().sorted(ORDER).toList();
  }

  Optional<Agreement> find(String id) {
    return agreements.stream().filter(a -> a.id().equals(id)).findFirst();
  }

  Optional<Agreement> tracingAgreement(
      OdsCode recipient, String role, PurposeOfUse purpose, LocalDate day) {
    return agreements.stream()
        .filter(a -> a.permitsTracing(recipient, role, purpose, day))
        .findFirst();
  }

  Set<String> releasableTypes(OdsCode recipient, String role, PurposeOfUse purpose, Instant at) {
    LocalDate day = LocalDate.ofInstant(at, WordedEvaluation.ENGLAND);
    Set<String> types = new TreeSet<>();
    for (Agreement a : agreements) {
      Set<String> roles = a.recipients().get(recipient);
      if (a.inForceOn(day)
          && !a.monitorOnly()
          && roles != null
          && roles.contains(role)
          && a.purposesOfUse().contains(purpose)) {
        types.addAll(a.resourceTypes());
      }
    }
    return Set.copyOf(types);
  }

  List<Agreement> candidates(OdsCode provider, OdsCode recipient) {
    return agreements.stream()
        .filter(a -> a.providers().contains(provider) && a.recipients().containsKey(recipient))
        .toList();
  }

  List<Agreement> permitting(DecisionRequest request) {
    return candidates(request.provider(), request.recipient()).stream()
        .filter(a -> WordedEvaluation.of(a, request, Words.ALL, request.day()).permits())
        .toList();
  }

  List<String> cappedAgreements(Collection<OdsCode> providers, OdsCode recipient) {
    return providers.stream()
        .flatMap(p -> candidates(p, recipient).stream())
        .filter(a -> a.dailyVolume().isPresent())
        .map(Agreement::id)
        .distinct()
        .toList();
  }

  private static String granted(DecisionRequest request, Agreement agreement, WordedEvaluation e) {
    if (request.event().isPresent()) {
      return " to be told of " + request.event().get().code();
    }
    return " to receive "
        + (e.family == null
            ? agreement.sortedResourceTypes()
            : e.family.resourceTypes().stream().sorted().toList());
  }

  Decision decide(DecisionRequest request) {
    List<Agreement> candidates = candidates(request.provider(), request.recipient());
    if (candidates.isEmpty()) {
      return Decision.deny(
          request.provider(),
          null,
          List.of(
              "no agreement lets "
                  + request.recipient()
                  + " receive records from "
                  + request.provider()),
          Set.of(Refusal.NO_AGREEMENT),
          List.of());
    }
    List<String> refusals = new ArrayList<>();
    Set<Refusal> kinds = EnumSet.noneOf(Refusal.class);
    WordedEvaluation monitored = null;
    for (Agreement agreement : candidates) {
      WordedEvaluation e = WordedEvaluation.of(agreement, request, Words.ALL, request.day());
      if (e.permits()) {
        List<String> reasons = new ArrayList<>();
        reasons.add(
            agreement.reference()
                + " permits "
                + request.recipient()
                + granted(request, agreement, e)
                + " from "
                + request.provider()
                + " for "
                + request.purpose());
        reasons.addAll(e.passed);
        return Decision.permit(
            request.provider(),
            agreement,
            reasons,
            candidates,
            e.emergency,
            e.selfClaimed,
            e.consent,
            e.family == null ? null : e.family.resourceTypes());
      }
      if (e.refusal == Refusal.MONITOR_ONLY && monitored == null) {
        monitored = e;
      }
      kinds.add(e.refusal);
      refusals.add(agreement.reference() + ": " + e.refusalWords);
    }
    return Decision.deny(
        request.provider(),
        monitored == null ? null : monitored.agreement,
        refusals,
        kinds,
        candidates);
  }
}
