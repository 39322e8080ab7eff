package org.placeshare.fhir.linkage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.AgencyRecord;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;
import org.placeshare.policy.NhsNumber;

/**
 * Precision and recall of automatic (CERTAIN) links on a seeded synthetic population with known
 * truth. The aims are the issue's: precision at least 99.9%, recall at least 95%. Two seeds, so the
 * weights are not tuned to one.
 */
class LinkageQualityTest {

  private static final int PEOPLE = 1_000;

  @ParameterizedTest
  @ValueSource(longs = {17L, 20261129L})
  void certainLinks_onASeededPopulation_meetThePrecisionAndRecallAims(long seed) {
    TracingPopulation population = TracingPopulation.generate(PEOPLE, seed);
    List<IndexEntry> index = population.index().stream().map(LinkageQualityTest::entry).toList();

    int certain = 0;
    int correct = 0;
    int inIndex = 0;
    int found = 0;
    for (AgencyRecord record : population.agencyRecords()) {
      Optional<NhsNumber> linked =
          Matcher.best(demographics(record), index).certainLink().map(IndexEntry::nhsNumber);
      if (linked.isPresent()) {
        certain++;
        if (linked.equals(record.trueNhsNumber())) {
          correct++;
        }
      }
      if (record.trueNhsNumber().isPresent()) {
        inIndex++;
        if (linked.equals(record.trueNhsNumber())) {
          found++;
        }
      }
    }
    double precision = (double) correct / certain;
    double recall = (double) found / inIndex;
    System.out.printf(
        "seed %d: %d records, %d certain links, %d correct: precision %.4f; recall %d/%d = %.4f%n",
        seed,
        population.agencyRecords().size(),
        certain,
        correct,
        precision,
        found,
        inIndex,
        recall);
    assertThat(precision).as("precision of certain links").isGreaterThanOrEqualTo(0.999);
    assertThat(recall).as("recall of certain links").isGreaterThanOrEqualTo(0.95);
  }

  private static IndexEntry entry(IndexPerson person) {
    return new IndexEntry(
        person.nhsNumber(),
        new Demographics(
            person.family(),
            person.given(),
            person.previousFamilies(),
            person.birthDate(),
            person.gender(),
            person.postcode(),
            person.previousPostcodes(),
            person.addressLine(),
            Optional.empty()));
  }

  private static Demographics demographics(AgencyRecord record) {
    return new Demographics(
        record.family(),
        record.given(),
        List.of(),
        record.birthDate(),
        record.gender(),
        record.postcode(),
        List.of(),
        record.addressLine(),
        Optional.empty());
  }
}
