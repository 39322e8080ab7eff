package org.placeshare.gateway.http.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.AccessTokens;
import org.placeshare.policy.identity.Caller;
import org.placeshare.policy.identity.RegisteredClient;
import org.placeshare.policy.identity.SigningKey;

/** The one IG check: the claim AND a client registered, as it is now, for the IG role. */
class IgLeadTest {

  private static final OdsCode ICB = OdsCode.of("QWU");
  private final Map<String, RegisteredClient> clients = new HashMap<>();
  private final IgLead igLead = new IgLead(id -> Optional.ofNullable(clients.get(id)));

  private void register(String id, OdsCode organisation, String... roles) {
    clients.put(
        id,
        new RegisteredClient(
            id,
            organisation,
            SigningKey.generate().publicJwk(),
            Set.of(PurposeOfUse.of("HOPERAT")),
            Set.of(roles)));
  }

  private static Caller caller(String client, OdsCode organisation, String role) {
    return new AccessTokens(
            SigningKey.generate(), "https://gateway.test", Map.of(), Clock.systemUTC())
        .jobCallers()
        .resume(organisation, client, "someone", role, PurposeOfUse.of("HOPERAT"));
  }

  @Test
  void is_claimFromAClientRegisteredForTheIgRole_isAnIgLead() {
    register("ig-console", ICB, "ig-lead");

    assertThat(igLead.is(caller("ig-console", ICB, "ig-lead"))).isTrue();
  }

  @Test
  void is_igLeadClaimFromAClientNotRegisteredForIt_isNot() {
    register("council-intel", OdsCode.of("E08000026"), "analyst");

    Caller claimed = caller("council-intel", OdsCode.of("E08000026"), "ig-lead");

    assertThat(igLead.is(claimed)).isFalse();
    assertThat(igLead.whyNot(claimed))
        .hasValue("client council-intel (E08000026) is not registered for role ig-lead");
  }

  @Test
  void is_registrationChangedAfterTheTokenWasIssued_isNoLonger() {
    register("ig-console", ICB, "ig-lead");
    Caller caller = caller("ig-console", ICB, "ig-lead");
    assertThat(igLead.is(caller)).isTrue();

    register("ig-console", ICB, "analyst");

    assertThat(igLead.is(caller)).isFalse();
    clients.clear();
    assertThat(igLead.whyNot(caller))
        .hasValue("client ig-console (QWU) is not registered for role ig-lead");
  }

  @Test
  void is_clientRegisteredForIgUnderAnotherOrganisation_isNot() {
    register("ig-console", OdsCode.of("R9A"), "ig-lead");

    assertThat(igLead.is(caller("ig-console", ICB, "ig-lead"))).isFalse();
  }

  @Test
  void is_igClientVouchingForAnotherRole_isNot() {
    register("ig-console", ICB, "ig-lead", "analyst");

    assertThat(igLead.whyNot(caller("ig-console", ICB, "analyst")))
        .hasValue("role analyst is not ig-lead");
  }
}
