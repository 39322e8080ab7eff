package org.placeshare.gateway.household;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.policy.NhsNumber;

/**
 * Feeds the household register from what the sources said in a person's view, as the relationship
 * register is fed: each source that answered restates the person's addresses (so a move ends the
 * old residence) and its family ties of the person (so a tie it no longer states is retracted).
 * Sources holding a sensitive category teach nothing. Incremental: a fact seen again unchanged
 * writes nothing. A failure loses a hint, never the answer, so it is logged and passed over.
 */
public final class HouseholdLearning {

  private static final Logger LOG = Logger.getLogger(HouseholdLearning.class.getName());
  private static final ZoneId ENGLAND = ZoneId.of("Europe/London");

  private final HouseholdRegister register;
  private final Clock clock;

  public HouseholdLearning(HouseholdRegister register, Clock clock) {
    this.register = register;
    this.clock = clock;
  }

  /**
   * Learns from the sources' answers about {@code person}. Only sources that held the person count;
   * one that failed or did not answer says nothing about where the person lives.
   */
  public Future<Void> learn(NhsNumber person, List<SourceRecords> results) {
    Instant now = clock.instant();
    LocalDate today = LocalDate.ofInstant(now, ENGLAND);
    List<Future<Void>> writes = new ArrayList<>();
    for (SourceRecords r : results) {
      // A source holding a sensitive category (criminal offence data at a police force) teaches
      // nothing: an address or a tie learnt from it would show, in a household view, that the
      // person is known there to a caller who may not see that source.
      if (r instanceof SourceRecords.Found found && found.source().holds().isEmpty()) {
        HouseholdFacts facts = HouseholdFacts.in(person, found, today);
        writes.add(
            register
                .restate(person, found.source().id(), facts.residences(), today, now)
                .compose(
                    v -> register.restateTies(person, found.source().id(), facts.ties(), now)));
      }
    }
    return Future.all(writes)
        .<Void>mapEmpty()
        .recover(
            e -> {
              LOG.warning("household register not updated: " + e.getClass().getSimpleName());
              return Future.succeededFuture();
            });
  }
}
