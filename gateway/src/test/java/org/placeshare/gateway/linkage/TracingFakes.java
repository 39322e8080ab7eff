package org.placeshare.gateway.linkage;

import io.vertx.core.Future;
import java.net.URI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.Matcher;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.fhir.mapped.Roster;
import org.placeshare.fhir.mapped.RosterEntry;
import org.placeshare.fhir.mapped.RosterPage;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;

/**
 * Small in-test implementations of the two interfaces the sync meets the world through: a {@link
 * ReferenceIndex} over a list (graded by the real {@link Matcher#rank}) that can be taken down, and
 * a {@link Roster} over a list, paged. They are the boundary: the real index client and agency
 * sources are other parts' work, and end-to-end tests with their servers are added on merging.
 */
final class TracingFakes {

  private TracingFakes() {}

  static final LocalDate TWINS_BORN = LocalDate.of(2012, 5, 14);
  static final LocalDate JEN_BORN = LocalDate.of(1984, 3, 9);

  static final IndexEntry AVA =
      entry("999000001", Demographics.of("Robson", "Ava", TWINS_BORN, "female", "SR4 7QX"));
  static final IndexEntry ISLA =
      entry("999000002", Demographics.of("Robson", "Isla", TWINS_BORN, "female", "SR4 7QX"));
  static final IndexEntry JENNIFER =
      entry("999000003", Demographics.of("Armstrong", "Jennifer", JEN_BORN, "female", "SR2 8JE"));
  static final IndexEntry PAUL =
      entry(
          "999000004",
          Demographics.of("Hedley", "Paul", LocalDate.of(1970, 1, 1), "male", "NE1 4XF"));
  static final IndexEntry PAULINE =
      entry(
          "999000005",
          Demographics.of("Hedley", "Pauline", LocalDate.of(1972, 6, 2), "female", "NE1 4XF"));

  /**
   * An NHS number in the test range, with its check digit (skipping nine digits that have none).
   */
  static IndexEntry entry(String nineDigits, Demographics d) {
    long n = Long.parseLong(nineDigits);
    while (true) {
      Optional<NhsNumber> nhs = NhsNumber.withCheckDigit(String.valueOf(n));
      if (nhs.isPresent()) {
        return new IndexEntry(nhs.get(), d);
      }
      n += 10;
    }
  }

  static class MemoryIndex implements ReferenceIndex {
    final List<IndexEntry> people = new ArrayList<>();
    final AtomicInteger searches = new AtomicInteger();
    volatile boolean down;

    MemoryIndex(IndexEntry... people) {
      this.people.addAll(List.of(people));
    }

    @Override
    public Future<List<Candidate>> search(Demographics query, int count) {
      searches.incrementAndGet();
      if (down) {
        return Future.failedFuture(new UpstreamException("the index answered 503"));
      }
      return Future.succeededFuture(
          Matcher.rank(query, List.copyOf(people)).stream().limit(count).toList());
    }

    @Override
    public Future<Optional<IndexEntry>> read(NhsNumber nhsNumber) {
      return Future.succeededFuture(
          people.stream().filter(p -> p.nhsNumber().equals(nhsNumber)).findFirst());
    }

    @Override
    public Future<Void> close() {
      return Future.succeededFuture();
    }
  }

  /** A roster over a list, {@code pageSize} entries a page, whose entries a test may change. */
  static class ListRoster implements Roster {
    final SourceDescriptor descriptor;
    final List<RosterEntry> entries = new ArrayList<>();
    final int pageSize;

    ListRoster(String id, String ods, int pageSize) {
      this.descriptor =
          new SourceDescriptor(
              id,
              OdsCode.of(ods),
              URI.create("http://127.0.0.1:1/" + id),
              Duration.ofSeconds(5),
              List.of("Observation"));
      this.pageSize = pageSize;
    }

    ListRoster with(String localId, Demographics d) {
      entries.removeIf(e -> e.localId().equals(localId));
      entries.add(new RosterEntry(localId, Optional.of(d), Optional.empty()));
      return this;
    }

    ListRoster unusable(String localId, String why) {
      entries.add(new RosterEntry(localId, Optional.empty(), Optional.of(why)));
      return this;
    }

    @Override
    public SourceDescriptor descriptor() {
      return descriptor;
    }

    @Override
    public Future<RosterPage> page(Optional<String> cursor) {
      int from = cursor.map(Integer::parseInt).orElse(0);
      int to = Math.min(entries.size(), from + pageSize);
      return Future.succeededFuture(
          new RosterPage(
              List.copyOf(entries.subList(from, to)),
              to < entries.size() ? Optional.of(String.valueOf(to)) : Optional.empty()));
    }
  }
}
