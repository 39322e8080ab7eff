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
 * The fixture's GP (the same records) holding its answer about a cohort job's second member until
 * the test lets it go: how a test acts while the job's first chunk is in hand, however fast the
 * machine. A wait for progress alone let a fast machine finish the whole job first.
 */
final class HeldGp implements AutoCloseable {

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

  HeldGp() throws Exception {
    gp =
        FhirSourceServer.start(
            0,
            SyntheticRecords.forSource(
                SyntheticRecords.Kind.GP, "gp", SyntheticPopulation.generate(20, 42)),
            gate);
  }

  /** The configuration with the fixture's GP source read from this one. */
  GatewayConfig in(GatewayConfig c) {
    return GatewayFixture.withSourceAt(c, "gp-y90001", gp);
  }

  /** From now on the people the GP is asked about are counted: call just before the kick-off. */
  void arm() {
    gate.armed = true;
  }

  /** Waits until the job asks about its second member: its first chunk is in hand. */
  void awaitSecondMember() throws InterruptedException {
    assertThat(gate.held.await(30, TimeUnit.SECONDS))
        .as("the job reached its second member")
        .isTrue();
  }

  /** Lets the GP answer, and every question after. */
  void letGo() {
    gate.letGo.countDown();
  }

  /**
   * Stops the gateway while the job's first chunk is in hand: the stop is asked before the GP
   * answers, so that chunk finishes and is checkpointed and no chunk after it starts.
   */
  void stopInTheFirstChunk(GatewayFixture f) throws Exception {
    awaitSecondMember();
    Future<Void> stopped = f.gateway.stopCohortJobs();
    letGo();
    stopped.await();
    f.close();
  }

  @Override
  public void close() throws Exception {
    letGo();
    gp.close();
  }
}
