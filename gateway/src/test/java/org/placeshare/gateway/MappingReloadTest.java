package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.fhir.synthetic.CouncilCareServer;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.gateway.mapping.MappingStore;
import org.placeshare.policy.identity.SigningKey;

/**
 * A mapping file changed while the gateway runs is reloaded without a restart, as agreements are: a
 * valid change takes over from the next fetch, a broken one is refused with its problems at their
 * file:line:column (audited) and the source keeps answering under the mapping in force.
 */
class MappingReloadTest {

  @TempDir static Path dir;
  static CouncilCareServer council;
  static GatewayFixture gateway;
  static Path mapping;

  @BeforeAll
  static void start() throws Exception {
    // The fixture's people: the council holds every third, from the first.
    council = CouncilCareServer.start(0, SyntheticPopulation.generate(20, 42));
    mapping = dir.resolve("council-asc.yaml");
    try (InputStream in = CouncilCareServer.mapping()) {
      Files.copy(in, mapping);
    }
    gateway =
        GatewayFixture.start(
            dir,
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            c -> {
              List<GatewayConfig.Source> sources = new ArrayList<>();
              for (GatewayConfig.Source s : c.sources()) {
                sources.add(
                    s.id().equals("council-asc")
                        ? new GatewayConfig.Source(
                            "council-asc",
                            "E08000026",
                            council.baseUrl().toString(),
                            Duration.ofSeconds(5),
                            List.of("Patient", "EpisodeOfCare"),
                            GatewayConfig.Source.MAPPED,
                            Optional.of(mapping),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.empty())
                        : s);
              }
              return GatewayFixture.withSources(c, sources);
            });
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
    council.close();
  }

  /** The council's service type codes in the person's view, as the analyst sees them. */
  private static List<String> serviceTypes() throws Exception {
    String token = gateway.token(GatewayFixture.COUNCIL_CLIENT, "analyst", "HOPERAT");
    HttpResponse<String> view =
        gateway.everything(gateway.firstPerson().nhsNumber().toString(), token);
    assertThat(view.statusCode()).isEqualTo(200);
    List<String> codes = new ArrayList<>();
    JsonArray entries = new JsonObject(view.body()).getJsonArray("entry");
    for (int i = 0; i < entries.size(); i++) {
      JsonObject r = entries.getJsonObject(i).getJsonObject("resource");
      if (r.getString("resourceType").equals("EpisodeOfCare")) {
        codes.add(
            r.getJsonArray("type")
                .getJsonObject(0)
                .getJsonArray("coding")
                .getJsonObject(0)
                .getString("code"));
      }
    }
    return codes;
  }

  private static long audited(String outcome, String detail) {
    Row row =
        gateway
            .gateway
            .database()
            .pool()
            .preparedQuery(
                "SELECT count(*) FROM audit_event WHERE action = $1 AND outcome = $2"
                    + " AND detail->>'detail' LIKE $3")
            .execute(Tuple.of(MappingStore.ACTION, outcome, detail))
            .await()
            .iterator()
            .next();
    return row.getLong(0);
  }

  /**
   * Waits for the poll (200 ms in the fixture) to have taken the change and audited what it did,
   * then a few polls more, so a second reload of the same change would be counted.
   */
  private static void afterTheReload(String outcome, String detail) throws Exception {
    WitnessingTest.await(() -> audited(outcome, detail) > 0, Duration.ofSeconds(10));
    Thread.sleep(3 * GatewayFixture.POLICY_POLL.toMillis());
  }

  @Test
  void reload_validChangeTakesOver_thenABrokenOneIsRefusedAndTheOldOneKeepsAnswering()
      throws Exception {
    assertThat(serviceTypes()).containsExactly("home-care");

    String original = Files.readString(mapping);
    Files.writeString(
        mapping, original.replace("HC: {code: home-care,", "HC: {code: home-care-package,"));
    afterTheReload("permitted", "mapping of source council-asc reloaded: coventry-asc-v1%");

    assertThat(serviceTypes()).containsExactly("home-care-package");
    assertThat(audited("permitted", "mapping of source council-asc reloaded: coventry-asc-v1%"))
        .isEqualTo(1);

    // A broken edit: an element EpisodeOfCare does not have.
    Files.writeString(
        mapping,
        original
            .replace("HC: {code: home-care,", "HC: {code: home-care-package,")
            .replace("period.end: ended", "period.finish: ended"));
    afterTheReload("refused", "mapping of source council-asc refused%");

    assertThat(serviceTypes()).containsExactly("home-care-package");
    assertThat(
            audited(
                "refused",
                "mapping of source council-asc refused; the running mapping stays in force:"
                    + " council-asc.yaml:%:%: resources[0].elements.period.finish: expected an"
                    + " element path of EpisodeOfCare%"))
        .isEqualTo(1);
  }
}
