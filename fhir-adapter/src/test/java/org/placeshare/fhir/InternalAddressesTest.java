package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.placeshare.policy.NhsNumber;

/** Whether a URI value points at a source's server, however the value writes that server. */
class InternalAddressesTest {

  static final InternalAddresses GP =
      InternalAddresses.of(List.of(URI.create("http://gp.example:8080/fhir")));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://gp.example:8080/fhir/Binary/1",
        "HTTP://GP.EXAMPLE:8080/fhir/Binary/1",
        "http://staff@gp.example:8080/fhir/Binary/1",
        "http://gp.example.:8080/fhir/Binary/1",
        "http://gp.example:08080/fhir/Binary/1",
        " http://gp.example:8080/fhir/Binary/1",
        "//gp.example:8080/fhir/Binary/1",
        "//gp.example/fhir/Binary/1",
        "http://gp%2Eexample:8080/fhir/Binary/1",
        "http://gp.exa\tmple:8080/fhir/Binary/1",
        "http://gp.example:80\n80/fhir/Binary/1",
        "http://gp\u3002example:8080/fhir/Binary/1",
        "http://\uff47\uff50.example:8080/fhir/Binary/1",
        "http://gp%E3%80%82example:8080/fhir/Binary/1",
        "http://gp.example:8080 /not a uri"
      })
  void names_theSourcesServerHoweverWritten(String value) {
    assertThat(GP.names(value)).as(value).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://snomed.info/sct",
        "https://fhir.nhs.uk/Id/nhs-number",
        "urn:oid:2.16.840.1.113883.2.1.4.1",
        "http://gp.example:80800/fhir/Binary/1",
        "http://gp.example/fhir/Binary/1",
        "https://gp.example:8080/fhir/Binary/1",
        "http://gp.example:8080@elsewhere.example/x",
        "//gp.example:9090/x"
      })
  void names_otherServers_areNotTheSources(String value) {
    assertThat(GP.names(value)).as(value).isFalse();
  }

  /**
   * A base URL whose host {@link URI} reads only as a registry name (an underscore, as in a
   * container's service name; letters beyond ASCII): its server is still the source's.
   */
  @ParameterizedTest
  @ValueSource(strings = {"http://gp_records:8080/fhir", "http://bücher.example:8080/fhir"})
  void names_aServerWhoseHostUriReadsAsARegistryName(String base) {
    InternalAddresses source = InternalAddresses.of(List.of(URI.create(base)));
    assertThat(source.names(base + "/Binary/1")).isTrue();
    assertThat(source.names("http://snomed.info/sct")).isFalse();
  }

  @Test
  void release_aSourceAtAnUnderscoreHost_andAUriWithoutItsScheme_leaveNoAddress() {
    SourceDescriptor gp = ReleaseCorpus.source("gp", "Y90001", "http://gp_records:8080/fhir");
    String reply =
        """
        {"resourceType": "Bundle", "type": "searchset", "entry": [
          {"resource": {"resourceType": "Patient", "id": "p1",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000018"}]}},
          {"resource": {"resourceType": "DocumentReference", "id": "d1", "status": "current",
            "subject": {"reference": "Patient/p1"},
            "content": [
              {"attachment": {"url": "http://gp_records:8080/fhir/Binary/letter-1"}},
              {"attachment": {"url": "//gp_records:8080/fhir/Binary/letter-2"}}]}}]}
        """;
    ReleaseCorpus.Person person =
        new ReleaseCorpus.Person(
            "registry host",
            NhsNumber.parse("9990000018"),
            List.of(new ReleaseCorpus.Reply(gp, reply)));

    String json =
        Fhir.encode(
            ReleaseCorpus.release(
                    person,
                    ReleaseCorpus.named("every type, nothing withheld, other people false"),
                    false)
                .view()
                .orElseThrow()
                .bundle());

    assertThat(json).contains("DocumentReference").doesNotContain("gp_records");
  }
}
