package org.placeshare.gateway.http.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.SigningKey;

class ConsoleSessionsTest {

  private static final Caller IG =
      new AccessTokens(SigningKey.generate(), "https://gateway.test", Map.of(), Clock.systemUTC())
          .jobCallers()
          .resume(
              OdsCode.of("QWU"), "ig-console", "ig.lead", "ig-lead", PurposeOfUse.of("HOPERAT"));

  @Test
  void start_withTheCapOfSessionsLive_isRefusedNotAnException_andOpensAgainWhenTheyLapse() {
    Instant[] now = {Instant.parse("2026-11-29T10:00:00Z")};
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now[0];
          }
        };
    ConsoleSessions sessions = new ConsoleSessions(clock);
    for (int i = 0; i < ConsoleSessions.MAX_SESSIONS; i++) {
      assertThat(sessions.start(IG)).isPresent();
    }

    assertThat(sessions.start(IG)).isEmpty();

    now[0] = now[0].plus(ConsoleSessions.IDLE).plusSeconds(1);
    assertThat(sessions.start(IG)).isPresent();
  }
}
