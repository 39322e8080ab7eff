package org.placeshare.gateway.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.PatientFacts;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.Refusal;

/**
 * A flag (national data opt-out, restricted record) that what a recipient and the metrics see must
 * not reveal: a source refused only for the flag answers as a source that does not hold the person,
 * or as failed when it is known to be failing, and is counted under the decision it would have had
 * without the flag. The audit keeps the true decisions. One instance for the gateway, shared by the
 * person view and cohort exports, so both know the same failing sources.
 */
public final class FlagConcealment {

  /** The refusals that rest on a flag the recipient must not learn of. */
  public static final Set<Refusal> FLAGS =
      EnumSet.of(Refusal.NATIONAL_OPT_OUT, Refusal.RESTRICTED_RECORD);

  private final List<RecordSource> sources;

  /** Each source's problem at its last fetch, if it failed: a hidden source answers the same. */
  private final Map<String, String> lastProblems = new ConcurrentHashMap<>();

  public FlagConcealment(List<RecordSource> sources) {
    this.sources = List.copyOf(sources);
  }

  /**
   * What a flag hides for one person.
   *
   * @param unflagged the sources that would have been asked without the flags, with those decisions
   * @param sources those of them refused only for the flag, in source order
   */
  public record Hidden(Map<String, Decision> unflagged, List<String> sources) {

    /** Nothing hidden: no flag, or nobody would be asked anyway. */
    public static final Hidden NONE = new Hidden(Map.of(), List.of());

    public Hidden {
      unflagged = Collections.unmodifiableMap(new LinkedHashMap<>(unflagged));
      sources = List.copyOf(sources);
    }

    public boolean any() {
      return !sources.isEmpty();
    }

    public boolean hides(String source) {
      return sources.contains(source);
    }

    /** Whether the source would be asked if the person had no flag. */
    public boolean wouldAsk(String source) {
      return unflagged.containsKey(source);
    }

    /** The decision the metrics count for a source: a hidden one's unflagged decision. */
    public Decision counted(String source, Decision actual) {
      return hides(source) ? unflagged.get(source) : actual;
    }
  }

  /**
   * When a flag was among the refusals: the sources that would have been asked without the flags,
   * and those refused only for it. Where nobody would be asked anyway (refused for another reason
   * too), nothing is hidden and the refusal stands, as it would for anyone.
   *
   * @param questions each source's question (by source id), with the flags
   * @param decided each source's decision (by source id), with the flags
   */
  public static Hidden hidden(
      PolicySet policy, Map<String, DecisionRequest> questions, Map<String, Decision> decided) {
    boolean flagged =
        decided.values().stream().anyMatch(d -> d.refusals().stream().anyMatch(FLAGS::contains));
    if (!flagged) {
      return Hidden.NONE;
    }
    Map<String, Decision> asked = new LinkedHashMap<>();
    List<String> hidden = new ArrayList<>();
    decided.forEach(
        (source, d) -> {
          // The same question about the same source (its provider, what it holds), unflagged.
          DecisionRequest question = questions.get(source);
          PatientFacts f = question.facts();
          Decision without =
              policy.decide(
                  question.withFacts(
                      new PatientFacts(false, false, f.postcodeDistrict(), f.relationships())));
          if (without.permitted()) {
            asked.put(source, without);
            if (!d.permitted()) {
              hidden.add(source);
            }
          }
        });
    return new Hidden(asked, hidden);
  }

  /**
   * The hidden sources known to be failing (left alone by their breaker, or failed at their last
   * fetch), as failed lookups: a lookup of them would have failed, so the answer says so.
   */
  public List<SourceRecords.Failed> knownFailures(Hidden hidden) {
    List<SourceRecords.Failed> failures = new ArrayList<>();
    for (RecordSource source : sources) {
      String id = source.descriptor().id();
      if (!hidden.hides(id)) {
        continue;
      }
      Optional<String> why =
          source.unavailable().or(() -> Optional.ofNullable(lastProblems.get(id)));
      why.ifPresent(w -> failures.add(new SourceRecords.Failed(source.descriptor(), w)));
    }
    return failures;
  }

  /** Whether a lookup of this source would fail now (its breaker, or its last fetch failed). */
  public boolean knownFailing(RecordSource source) {
    return source.unavailable().isPresent() || lastProblems.containsKey(source.descriptor().id());
  }

  /** Remembers how a source answered a fetch: failing until it answers again. */
  public void answered(SourceRecords result) {
    String id = result.source().id();
    if (result instanceof SourceRecords.Failed failed) {
      lastProblems.put(id, failed.reason());
    } else {
      lastProblems.remove(id);
    }
  }
}
