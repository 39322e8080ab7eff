package org.placeshare.fhir.mapped;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.Matcher;
import org.placeshare.fhir.synthetic.Agency;
import org.placeshare.fhir.synthetic.AgencyPerson;
import org.placeshare.fhir.synthetic.AgencyPopulation;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation;

/**
 * The demo's known person is held by all four agencies under slightly different demographics; each
 * must still trace CERTAIN, and to them alone, against the demo's reference index (the synthetic
 * population and the tracing population's index), or the demo's view would not show all four.
 */
class DemoAgencyPersonTest {

  static final List<SyntheticPerson> people = SyntheticPopulation.generate(50, 2026);

  static List<IndexEntry> demoIndex() {
    List<IndexEntry> index = new ArrayList<>();
    for (SyntheticPerson p : people) {
      index.add(
          new IndexEntry(
              p.nhsNumber(),
              Demographics.of(p.family(), p.given(), p.birthDate(), p.gender(), p.postcode())));
    }
    for (TracingPopulation.IndexPerson p : AgencyPopulation.demoTracing().index()) {
      index.add(
          new IndexEntry(
              p.nhsNumber(),
              new Demographics(
                  p.family(),
                  p.given(),
                  p.previousFamilies(),
                  p.birthDate(),
                  p.gender(),
                  p.postcode(),
                  p.previousPostcodes(),
                  p.addressLine(),
                  Optional.empty())));
    }
    return index;
  }

  @Test
  void demoPerson_atEveryAgency_tracesCertainToTheirNhsNumber() {
    SyntheticPerson known = AgencyPopulation.demoPerson(people);
    AgencyPopulation population = AgencyPopulation.demo(people);
    List<IndexEntry> index = demoIndex();

    assertThat(known.nhsNumber().toString()).isEqualTo("9990000301");
    for (Agency a : Agency.values()) {
      AgencyPerson held =
          population.people(a).stream()
              .filter(p -> p.trueNhsNumber().equals(Optional.of(known.nhsNumber())))
              .findFirst()
              .orElseThrow();
      Demographics d =
          new Demographics(
              held.family(),
              held.given(),
              List.of(),
              held.birthDate(),
              held.gender(),
              held.postcode(),
              List.of(),
              held.addressLine(),
              Optional.empty());

      List<Candidate> ranked = Matcher.rank(d, index);

      assertThat(ranked.get(0).entry().nhsNumber()).as(a.name()).isEqualTo(known.nhsNumber());
      assertThat(ranked.get(0).grade()).as(a.name()).isEqualTo(MatchGrade.CERTAIN);
      assertThat(ranked.stream().filter(c -> c.grade() == MatchGrade.CERTAIN)).hasSize(1);
    }
  }
}
