package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import io.vertx.core.Future;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.fhir.synthetic.SyntheticRecords;
import org.placeshare.gateway.config.GatewayConfig;

/**
 * Stops a gateway's cohort job in its first chunk, however fast the machine. The fixture's GP is
 * replaced by one (the same records) that holds its answer about the job's second member until the
 * stop has been asked; a wait for progress alone let a fast machine finish the whole job first.
 */
final class FirstChunkStop implements AutoCloseable {

  /** Holds the answer about the second person asked for, once armed, until let go. */
  @Interceptor
  public static final class SecondMemberGate {
    private final Set<String> asked = ConcurrentHashMap.newKeySet();
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch letGo = new CountDownLatch(1);
    private volatile boolean armed;

    @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
    public boolean incoming(RequestDetails request) throws InterruptedException {
      String[] identifier = request.getParameters().get("identifier");
      if (armed
          && "Patient".equals(request.getResourceName())
          && identifier != null
          && asked.add(identifier[0])
          && asked.size() == 2) {
        held.countDown();
        letGo.await(30, TimeUnit.SECONDS);
      }
      return true;
    }
  }

  private final SecondMemberGate gate = new SecondMemberGate();
  private final FhirSourceServer gp;

  FirstChunkStop() throws Exception {
    gp =
        FhirSourceServer.start(
            0,
            SyntheticRecords.forSource(
                SyntheticRecords.Kind.GP, "gp", SyntheticPopulation.generate(20, 42)),
            gate);
  }

  /** The configuration with the fixture's GP source read from the holding one. */
  GatewayConfig withHoldingGp(GatewayConfig c) {
    return GatewayFixture.withSources(
        c,
        c.sources().stream()
            .map(
                s ->
                    s.id().equals("gp-y90001")
                        ? new GatewayConfig.Source(
                            s.id(),
                            s.organisation(),
                            gp.baseUrl().toString(),
                            s.deadline(),
                            s.resourceTypes())
                        : s)
            .toList());
  }

  /** From now on the people the GP is asked about are counted: call just before the kick-off. */
  void arm() {
    gate.armed = true;
  }

  /**
   * Waits for the job to reach its second member, asks the stop, then lets the GP answer: the chunk
   * in hand finishes and is checkpointed, and no chunk after it starts. Then closes the gateway.
   */
  void stopInTheFirstChunk(GatewayFixture f) throws Exception {
    assertThat(gate.held.await(30, TimeUnit.SECONDS))
        .as("the job reached its second member")
        .isTrue();
    Future<Void> stopped = f.gateway.stopCohortJobs();
    gate.letGo.countDown();
    stopped.await();
    f.close();
  }

  @Override
  public void close() throws Exception {
    gate.letGo.countDown();
    gp.close();
  }
}
