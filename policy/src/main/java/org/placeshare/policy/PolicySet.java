package org.placeshare.policy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.placeshare.policy.AgreementEvaluation.OutsideAsk;
import org.placeshare.policy.AgreementEvaluation.Wording;
import org.placeshare.policy.AgreementEvaluation.Words;

/**
 * An immutable snapshot of the agreements loaded, and the decision engine over them. Deny by
 * default: a request is permitted only when one agreement says yes to every part of it.
 *
 * <p>Agreements are indexed by provider and recipient, and within a pair by role and purpose, so a
 * decision looks only at the few that could apply, however many are loaded; questions of one
 * recipient (tracing, releasable types) look only at the agreements naming it, and an id finds its
 * newest version at once.
 */
public final class PolicySet {

  /** More agreements than this in one set is a misconfiguration, not a policy. */
  public static final int MAX_AGREEMENTS = 100_000;

  private static final Comparator<Agreement> ORDER =
      Comparator.comparing(Agreement::id)
          .thenComparing(Agreement::version, Comparator.reverseOrder());

  private final List<Agreement> agreements;
  private final Map<OdsCode, Map<OdsCode, Candidates>> byProviderAndRecipient;
  private final Map<OdsCode, List<Agreement>> byRecipient;
  private final Map<String, Agreement> newestById;

  /**
   * The agreements naming one provider and one recipient, in decision order, and among them, by
   * role and purpose, those that could permit: in a sharing status and listing that role for the
   * recipient and that purpose. An agreement outside that list refuses whatever the request's other
   * facts, so a permit is looked for only in it; a deny still gives every agreement's refusal.
   */
  private record Candidates(
      List<Agreement> all, Map<Ask, List<Agreement>> couldPermit, Listed listed) {}

  /**
   * A pair named by at least this many agreements also keeps which of them list each role and each
   * purpose ({@link Listed}), so that its deny tells the agreements outside the request's role and
   * purpose apart by reading bits rather than by looking up each one's roles and purposes. Few
   * pairs are this busy, so the tables cost little memory.
   */
  private static final int BUSY_PAIR = 16;

  /**
   * For a busy pair: by role (for the pair's recipient) and by purpose, the positions in {@code
   * all} of the agreements that list it. Made once with the set and never changed.
   */
  private record Listed(Map<String, BitSet> byRole, Map<PurposeOfUse, BitSet> byPurpose) {}

  private static final BitSet NOT_LISTED = new BitSet();

  /** A recipient's role and purpose: what an agreement must list before any fact is looked at. */
  private record Ask(String role, PurposeOfUse purpose) {}

  private PolicySet(List<Agreement> agreements) {
    this.agreements = agreements.stream().sorted(ORDER).toList();
    Map<OdsCode, Map<OdsCode, List<Agreement>>> index = new HashMap<>();
    Map<OdsCode, List<Agreement>> recipients = new HashMap<>();
    Map<String, Agreement> ids = new HashMap<>();
    for (Agreement a : this.agreements) {
      for (OdsCode provider : a.providers()) {
        for (OdsCode recipient : a.recipients().keySet()) {
          index
              .computeIfAbsent(provider, p -> new HashMap<>())
              .computeIfAbsent(recipient, r -> new ArrayList<>())
              .add(a);
        }
      }
      for (OdsCode recipient : a.recipients().keySet()) {
        recipients.computeIfAbsent(recipient, r -> new ArrayList<>()).add(a);
      }
      ids.putIfAbsent(a.id(), a); // the first in decision order is the newest version
    }
    Map<OdsCode, Map<OdsCode, Candidates>> pairs = new HashMap<>();
    index.forEach(
        (provider, byRecipient) -> {
          Map<OdsCode, Candidates> row = new HashMap<>();
          byRecipient.forEach((recipient, list) -> row.put(recipient, candidates(recipient, list)));
          pairs.put(provider, Map.copyOf(row));
        });
    this.byProviderAndRecipient = Map.copyOf(pairs);
    recipients.replaceAll((r, list) -> List.copyOf(list));
    this.byRecipient = Map.copyOf(recipients);
    this.newestById = Map.copyOf(ids);
  }

  private static Candidates candidates(OdsCode recipient, List<Agreement> all) {
    Map<Ask, List<Agreement>> couldPermit = new HashMap<>();
    for (Agreement a : all) {
      if (!a.status().permitsSharing()) {
        continue;
      }
      for (String role : a.recipients().get(recipient)) {
        for (PurposeOfUse purpose : a.purposesOfUse()) {
          couldPermit.computeIfAbsent(new Ask(role, purpose), k -> new ArrayList<>()).add(a);
        }
      }
    }
    couldPermit.replaceAll((k, list) -> List.copyOf(list));
    return new Candidates(List.copyOf(all), Map.copyOf(couldPermit), listed(recipient, all));
  }

  private static Listed listed(OdsCode recipient, List<Agreement> all) {
    if (all.size() < BUSY_PAIR) {
      return null;
    }
    Map<String, BitSet> byRole = new HashMap<>();
    Map<PurposeOfUse, BitSet> byPurpose = new HashMap<>();
    for (int i = 0; i < all.size(); i++) {
      Agreement a = all.get(i);
      for (String role : a.recipients().get(recipient)) {
        byRole.computeIfAbsent(role, k -> new BitSet()).set(i);
      }
      for (PurposeOfUse purpose : a.purposesOfUse()) {
        byPurpose.computeIfAbsent(purpose, k -> new BitSet()).set(i);
      }
    }
    return new Listed(Map.copyOf(byRole), Map.copyOf(byPurpose));
  }

  /** A set with no organisation register: parties are not checked against one. */
  public static PolicySet of(List<Agreement> agreements) {
    return of(agreements, Optional.empty());
  }

  /**
   * Checks the agreements as a whole and makes the set.
   *
   * @param registered the organisations the gateway knows; every provider and recipient must be one
   *     of them
   * @throws PolicyException listing every problem: the same id and version twice, two versions in
   *     force at once, parties not registered
   */
  public static PolicySet of(List<Agreement> agreements, Optional<Set<OdsCode>> registered) {
    if (agreements.size() > MAX_AGREEMENTS) {
      throw new PolicyException(
          "expected at most " + MAX_AGREEMENTS + " agreements, got " + agreements.size());
    }
    List<String> problems = new ArrayList<>();
    Map<String, List<Agreement>> byId = new HashMap<>();
    for (Agreement a : agreements) {
      List<Agreement> versions = byId.computeIfAbsent(a.id(), id -> new ArrayList<>());
      for (Agreement other : versions) {
        if (other.version() == a.version()) {
          problems.add(
              "expected each agreement id and version once, got " + a.reference() + " twice");
        } else if (overlap(a, other)) {
          problems.add(
              "expected one version of "
                  + a.id()
                  + " in force at a time, got versions "
                  + Math.min(a.version(), other.version())
                  + " and "
                  + Math.max(a.version(), other.version())
                  + " both "
                  + "sharing between "
                  + later(a.effective(), other.effective())
                  + " and "
                  + earlier(a.expires(), other.expires())
                  + " (hint: suspend or expire the old version, or end it the day before the new one starts)");
        }
      }
      versions.add(a);
      registered.ifPresent(orgs -> unregistered(a, orgs, problems));
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(String.join("\n", problems));
    }
    return new PolicySet(agreements);
  }

  private static boolean overlap(Agreement a, Agreement b) {
    return a.status().permitsSharing()
        && b.status().permitsSharing()
        && !a.effective().isAfter(b.expires())
        && !b.effective().isAfter(a.expires());
  }

  private static LocalDate later(LocalDate a, LocalDate b) {
    return a.isAfter(b) ? a : b;
  }

  private static LocalDate earlier(LocalDate a, LocalDate b) {
    return a.isBefore(b) ? a : b;
  }

  private static void unregistered(Agreement a, Set<OdsCode> orgs, List<String> problems) {
    Set<OdsCode> parties = new LinkedHashSet<>(a.providers());
    parties.addAll(a.recipients().keySet());
    a.consent().trustedIssuers().forEach(parties::add);
    for (OdsCode party : parties) {
      if (!orgs.contains(party)) {
        problems.add(
            a.reference()
                + ": expected parties registered with the gateway, got "
                + party
                + " (hint: add it under organisations in the gateway configuration)");
      }
    }
  }

  public List<Agreement> agreements() {
    return agreements;
  }

  /** The newest version of an agreement, if loaded. */
  public Optional<Agreement> find(String id) {
    return Optional.ofNullable(newestById.get(id));
  }

  /**
   * What an IG lead should know about a set that loads: agreements past their expiry, in a status
   * that shares nothing, or overdue for review, and a notifications clause without a required care
   * relationship (the subscriber then chooses whom it is told about: any cohort it registers).
   */
  public List<String> warnings(LocalDate today) {
    List<String> warnings = new ArrayList<>();
    for (Agreement a : agreements) {
      if (a.expires().isBefore(today)) {
        warnings.add(a.reference() + ": expired on " + a.expires() + " and permits nothing");
      } else if (!a.status().permitsSharing()) {
        warnings.add(
            a.reference() + ": status " + a.status().name().toLowerCase() + " permits nothing");
      } else if (a.effective().isAfter(today)) {
        warnings.add(a.reference() + ": not in force until " + a.effective());
      }
      if (a.review().isBefore(today) && !a.expires().isBefore(today)) {
        warnings.add(a.reference() + ": review was due on " + a.review());
      }
      if (!a.notifications().isEmpty() && !a.relationship().required()) {
        warnings.add(
            a.reference()
                + ": notifications flow without a care relationship rule, so a subscriber is"
                + " told about anyone it puts in a cohort (add relationship: required)");
      }
    }
    return warnings;
  }

  /**
   * The agreement under which this recipient, in this role and for this purpose, may trace people
   * to NHS numbers on {@code day} (the first by id, newest version first), or none: deny by
   * default.
   */
  public Optional<Agreement> tracingAgreement(
      OdsCode recipient, String role, PurposeOfUse purpose, LocalDate day) {
    return byRecipient.getOrDefault(recipient, List.of()).stream()
        .filter(a -> a.permitsTracing(recipient, role, purpose, day))
        .findFirst();
  }

  /**
   * The resource types the agreements in force at {@code at} (England's day) release to this
   * recipient in this role for this purpose (monitor-only pilots release nothing): what an access
   * token's SMART scopes may be granted for. Each release is still decided person by person; this
   * only bounds what a client can ask.
   */
  public Set<String> releasableTypes(
      OdsCode recipient, String role, PurposeOfUse purpose, Instant at) {
    LocalDate day = LocalDate.ofInstant(at, AgreementEvaluation.ENGLAND);
    Set<String> types = new TreeSet<>();
    for (Agreement a : byRecipient.getOrDefault(recipient, List.of())) {
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

  /**
   * Every agreement that would permit this request, not only the one {@link #decide} names (the
   * first in decision order): a household's other members may be released under any of them, and
   * under no other ({@link DecisionRequest#withFamilyOf(Set, Set)}). A monitor-only pilot permits
   * nothing, so it is never among them.
   */
  public List<Agreement> permitting(DecisionRequest request) {
    LocalDate day = request.day();
    return couldPermit(pair(request.provider(), request.recipient()), request).stream()
        .filter(a -> AgreementEvaluation.of(a, request, Words.NONE, day).permits())
        .toList();
  }

  /** The agreements that could apply to this provider and recipient, in decision order. */
  public List<Agreement> candidates(OdsCode provider, OdsCode recipient) {
    return pair(provider, recipient).all();
  }

  private static final Candidates NONE = new Candidates(List.of(), Map.of(), null);

  private Candidates pair(OdsCode provider, OdsCode recipient) {
    Map<OdsCode, Candidates> row = byProviderAndRecipient.get(provider);
    Candidates pair = row == null ? null : row.get(recipient);
    return pair == null ? NONE : pair;
  }

  private static List<Agreement> couldPermit(Candidates pair, DecisionRequest request) {
    return pair.couldPermit().getOrDefault(new Ask(request.role(), request.purpose()), List.of());
  }

  /**
   * The ids of pilot agreements with a daily volume that could decide for this recipient and any of
   * these providers: the usage counts a request needs before it is decided.
   */
  public List<String> cappedAgreements(Collection<OdsCode> providers, OdsCode recipient) {
    return providers.stream()
        .flatMap(p -> candidates(p, recipient).stream())
        .filter(a -> a.dailyVolume().isPresent())
        .map(Agreement::id)
        .distinct()
        .toList();
  }

  /** What a permit gives, in words: records of these types, or word of this kind of change. */
  private static String granted(
      DecisionRequest request, Agreement agreement, AgreementEvaluation e) {
    if (request.event().isPresent()) {
      return " to be told of " + request.event().get().code();
    }
    return " to receive "
        + (e.family == null
            ? agreement.sortedResourceTypes()
            : e.family.resourceTypes().stream().sorted().toList());
  }

  /**
   * May a change of this kind about the request's person, reported by its provider, flow to its
   * recipient (organisation, role, purpose) now? Decided as a release is, on the same facts (in
   * force, opt-out, restriction, care relationship, consent as the agreement says), and only under
   * an agreement whose {@code notifications:} clause names the kind for that recipient, role and
   * purpose; otherwise the deny says {@link Refusal#NOT_IN_NOTIFICATION_CLAUSE}. Asked at the
   * moment of delivery, so an opt-out registered since the event stops it.
   */
  public Decision decideNotification(EventKind kind, DecisionRequest request) {
    return decide(request.withEvent(kind));
  }

  /**
   * Decides one request. The first agreement (by id, newest version first) that permits wins; with
   * none, the deny lists why each agreement naming this provider and recipient refused.
   */
  public Decision decide(DecisionRequest request) {
    Candidates pair = pair(request.provider(), request.recipient());
    List<Agreement> candidates = pair.all();
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
    LocalDate day = request.day();
    // The first that permits, in decision order, among those that could. The first of them is
    // evaluated with its words, as it most often permits; the others without, until one does.
    List<Agreement> could = couldPermit(pair, request);
    AgreementEvaluation first = null;
    for (int i = 0; i < could.size(); i++) {
      Agreement agreement = could.get(i);
      AgreementEvaluation e =
          AgreementEvaluation.of(agreement, request, i == 0 ? Words.ALL : Words.NONE, day);
      if (i == 0) {
        first = e;
      }
      if (e.permits()) {
        return permit(
            request,
            agreement,
            i == 0 ? e : AgreementEvaluation.of(agreement, request, Words.ALL, day),
            candidates);
      }
    }
    // None permits: every candidate's refusal, in decision order, kept unsaid until read. Those
    // the search tried are evaluated again with their refusal (the first has it already); those
    // outside the role and purpose refuse at the first checks, which are all that is run.
    Wording[] refusals = new Wording[candidates.size()];
    Set<Refusal> kinds = EnumSet.noneOf(Refusal.class);
    Agreement monitored = null;
    OutsideAsk outside = new OutsideAsk(request, day);
    Listed listed = pair.listed();
    BitSet listRole =
        listed == null ? null : listed.byRole().getOrDefault(request.role(), NOT_LISTED);
    BitSet listPurpose =
        listed == null ? null : listed.byPurpose().getOrDefault(request.purpose(), NOT_LISTED);
    int tried = 0; // the next of `could`, a subsequence of the candidates in the same order
    for (int i = 0; i < refusals.length; i++) {
      Agreement agreement = candidates.get(i);
      Refusal kind = null;
      if (tried < could.size() && could.get(tried) == agreement) {
        tried++;
      } else {
        kind =
            listed == null
                ? outside.refuse(agreement, refusals, i)
                : outside.refuse(agreement, listRole.get(i), listPurpose.get(i), refusals, i);
      }
      if (kind == null) {
        AgreementEvaluation e =
            first != null && first.agreement == agreement
                ? first
                : AgreementEvaluation.of(agreement, request, Words.REFUSAL, day);
        if (e.refusal == Refusal.MONITOR_ONLY && monitored == null) {
          monitored = agreement;
        }
        kind = e.refusal;
        refusals[i] = e.refusalWording;
      }
      kinds.add(kind);
    }
    return Decision.refused(request.provider(), monitored, refusals, kinds, candidates);
  }

  private static Decision permit(
      DecisionRequest request,
      Agreement agreement,
      AgreementEvaluation e,
      List<Agreement> candidates) {
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
}
