package org.placeshare.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;

/** The roles a client may vouch for are its registration's, as its purposes are. */
class ClientAssertionVerifierTest {

  private static final String TOKEN_URL = "https://gateway.test/oauth2/token";
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  private final SigningKey key = SigningKey.generate();
  private final RegisteredClient council =
      new RegisteredClient(
          "council-intel",
          OdsCode.of("E08000026"),
          key.publicJwk(),
          Set.of(PurposeOfUse.of("HOPERAT")),
          Set.of("analyst"));
  private final ClientAssertionVerifier verifier =
      new ClientAssertionVerifier(Map.of(council.id(), council), TOKEN_URL, CLOCK);

  private String assertion(String role) {
    return ClientAssertions.sign(
        key, council.id(), TOKEN_URL, "a.analyst", role, PurposeOfUse.of("HOPERAT"), CLOCK);
  }

  @Test
  void verify_roleTheClientIsRegisteredFor_isTheAssertionsRole() {
    assertThat(verifier.verify(assertion("analyst")).role()).isEqualTo("analyst");
  }

  @Test
  void verify_councilClientAskingToBeAnIgLead_isRefused() {
    assertThatThrownBy(() -> verifier.verify(assertion("ig-lead")))
        .isInstanceOf(TokenException.class)
        .hasMessage("client assertion refused: role ig-lead is not registered for this client");
  }

  @Test
  void verify_clientRegisteredForNoRole_vouchesForNobody() {
    RegisteredClient none =
        new RegisteredClient(
            council.id(), council.organisation(), key.publicJwk(), council.purposes(), Set.of());
    ClientAssertionVerifier strict =
        new ClientAssertionVerifier(Map.of(none.id(), none), TOKEN_URL, CLOCK);

    assertThatThrownBy(() -> strict.verify(assertion("analyst")))
        .isInstanceOf(TokenException.class)
        .hasMessage("client assertion refused: role analyst is not registered for this client");
  }

  @Test
  void registeredClient_roleNotShapedAsATokenRole_isRefused() {
    assertThatThrownBy(
            () ->
                new RegisteredClient(
                    council.id(),
                    council.organisation(),
                    key.publicJwk(),
                    council.purposes(),
                    Set.of("IG Lead")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("role: expected a lower-case role name such as clinician, got IG Lead");
  }
}
