package org.placeshare.gateway.http.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.placeshare.policy.identity.ClientRegistry;

/**
 * The unknown-key path of the token endpoint when a reload of the clients file removed the client
 * between its assertion being read and its keys being fetched again (REVIEW20, finding 5c). The
 * registry is the edge here: a reload cannot be timed into that gap over HTTP.
 */
class TokenEndpointRefetchTest {

  @Test
  void refetchKeys_clientRemovedByAReloadMidRequest_fetchesNothingRatherThanThrowing() {
    ClientRegistry afterTheReload = ClientRegistry.of(List.of());

    boolean fetched =
        TokenEndpoint.refetchKeys(afterTheReload, "council-url").toCompletableFuture().join();

    // Nothing fetched; the assertion is then checked again and refused as from a client not
    // registered (invalid_client), where the lookup used to throw and answer 500.
    assertThat(fetched).isFalse();
  }
}
