package org.placeshare.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditAlertsTest {

  /** Releases of 25 different people by one analyst within a few minutes, on a weekday at noon. */
  private static List<AuditRecord> releases(String action) {
    List<AuditRecord> events = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      events.add(
          new AuditRecord(
              i,
              "e" + i,
              Instant.parse("2026-11-18T12:00:00Z").plusSeconds(i * 10L),
              "r",
              action,
              "permitted",
              200,
              String.format("99900%05d", i),
              "E08000026",
              "council-intel",
              "analyst-1",
              "analyst",
              "PUBHLTH",
              false,
              new JsonObject()));
    }
    return events;
  }

  @Test
  void oneUserSeeingManyPeople_isAnAlert() {
    assertThat(AuditAlerts.find(releases("read-person-view")))
        .extracting(AuditAlerts.Alert::kind)
        .containsExactly("many-people");
  }

  @Test
  void aCohortExportsReleases_areNotOneUserSeeingManyPeople() {
    assertThat(AuditAlerts.find(releases("cohort-export"))).isEmpty();
  }
}
