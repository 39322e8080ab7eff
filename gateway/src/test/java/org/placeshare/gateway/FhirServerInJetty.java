package org.placeshare.gateway;

import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.placeshare.fhir.Fhir;

/**
 * A real HAPI {@link RestfulServer} in Jetty on a free port, answering JSON under {@code /fhir}:
 * the upstream of tests whose source says something the synthetic sources never would.
 */
final class FhirServerInJetty implements AutoCloseable {

  private final Server jetty;
  private final URI baseUrl;

  private FhirServerInJetty(Server jetty, URI baseUrl) {
    this.jetty = jetty;
    this.baseUrl = baseUrl;
  }

  /** Serves the providers, each interceptor registered with the server. */
  static FhirServerInJetty start(List<IResourceProvider> providers, Object... interceptors)
      throws Exception {
    RestfulServer fhir = new RestfulServer(Fhir.context());
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
    fhir.setResourceProviders(providers);
    for (Object interceptor : interceptors) {
      fhir.registerInterceptor(interceptor);
    }
    Server jetty = new Server(new InetSocketAddress("127.0.0.1", 0));
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    int port = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    return new FhirServerInJetty(jetty, URI.create("http://127.0.0.1:" + port + "/fhir"));
  }

  URI baseUrl() {
    return baseUrl;
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
