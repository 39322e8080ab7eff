package org.placeshare.fhir.synthetic;

import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * A read-only FHIR R4 server (HAPI {@link RestfulServer} in Jetty) over a fixed list of resources,
 * answering the searches the adapter makes: {@code Patient?identifier=system|value} and {@code
 * Type?patient=id}. The demo's sources and the tests' upstreams are real servers of this kind.
 */
public final class FhirSourceServer implements AutoCloseable {

  /** The most entries one page holds, however many a client asks for. */
  public static final int PAGE_SIZE = 50;

  private final Server jetty;
  private final URI baseUrl;
  private final AtomicInteger connectionsOpened;

  private FhirSourceServer(Server jetty, URI baseUrl, AtomicInteger connectionsOpened) {
    this.jetty = jetty;
    this.baseUrl = baseUrl;
    this.connectionsOpened = connectionsOpened;
  }

  /**
   * Starts on 127.0.0.1 at the given port (0 for any free one), each HAPI interceptor registered
   * with the server: how a test holds a source's answer at a chosen moment.
   */
  public static FhirSourceServer start(int port, List<Resource> resources, Object... interceptors)
      throws Exception {
    Map<String, List<Resource>> byType = new LinkedHashMap<>();
    for (Resource r : resources) {
      byType.computeIfAbsent(r.fhirType(), t -> new ArrayList<>()).add(r);
    }
    RestfulServer fhir = new RestfulServer(SyntheticRecords.FHIR);
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
    List<IResourceProvider> providers = new ArrayList<>();
    byType.forEach((type, list) -> providers.add(new ListProvider(list)));
    if (!byType.containsKey("Patient")) {
      providers.add(new ListProvider(List.of(new Patient())));
    }
    fhir.setResourceProviders(providers);
    // Pages as a real server does: searches answer a page at a time with Bundle.link "next".
    FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(100);
    paging.setDefaultPageSize(PAGE_SIZE);
    paging.setMaximumPageSize(PAGE_SIZE);
    fhir.setPagingProvider(paging);
    return serve(port, fhir, interceptors);
  }

  /**
   * Serves these providers on a free port, without paging, each interceptor registered: the
   * upstream of tests whose source says something the synthetic sources never would.
   */
  public static FhirSourceServer serving(List<IResourceProvider> providers, Object... interceptors)
      throws Exception {
    RestfulServer fhir = new RestfulServer(SyntheticRecords.FHIR);
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
    fhir.setResourceProviders(providers);
    return serve(0, fhir, interceptors);
  }

  private static FhirSourceServer serve(int port, RestfulServer fhir, Object... interceptors)
      throws Exception {
    for (Object interceptor : interceptors) {
      fhir.registerInterceptor(interceptor);
    }
    Server jetty = new Server(new InetSocketAddress("127.0.0.1", port));
    AtomicInteger opened = new AtomicInteger();
    jetty.getConnectors()[0].addEventListener(
        new Connection.Listener() {
          @Override
          public void onOpened(Connection connection) {
            opened.incrementAndGet();
          }
        });
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    int actual = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    return new FhirSourceServer(jetty, URI.create("http://127.0.0.1:" + actual + "/fhir"), opened);
  }

  public URI baseUrl() {
    return baseUrl;
  }

  /**
   * TCP connections this server has accepted since it started: how a test sees whether its clients
   * reuse their connections (one per request would mean keep-alive is defeated).
   */
  public int connectionsOpened() {
    return connectionsOpened.get();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }

  /**
   * Serves one resource type from a list, indexed as a real server's database would be: by patient
   * reference and by identifier value, so a search costs the same for ten people or ten thousand.
   */
  public static final class ListProvider implements IResourceProvider {
    private final Class<? extends IBaseResource> type;
    private final List<Resource> resources;
    private final Map<String, List<Resource>> byReference = new HashMap<>();
    private final Map<String, List<Resource>> byIdentifier = new HashMap<>();

    ListProvider(List<Resource> resources) {
      this.type = resources.get(0).getClass();
      this.resources = List.copyOf(resources);
      for (Resource r : this.resources) {
        if (r.getIdElement().getIdPart() == null) {
          continue;
        }
        for (var ref :
            SyntheticRecords.FHIR
                .newTerser()
                .getAllPopulatedChildElementsOfType(r, Reference.class)) {
          if (ref.getReference() != null) {
            List<Resource> mentioning =
                byReference.computeIfAbsent(ref.getReference(), k -> new ArrayList<>());
            if (!mentioning.contains(r)) {
              mentioning.add(r);
            }
          }
        }
        if (r instanceof Patient p) {
          for (Identifier id : p.getIdentifier()) {
            byIdentifier.computeIfAbsent(id.getValue(), k -> new ArrayList<>()).add(r);
          }
        }
      }
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return type;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(
        @OptionalParam(name = "identifier") TokenParam identifier,
        @OptionalParam(name = "patient") ReferenceParam patient) {
      List<Resource> mentioning =
          patient == null
              ? null
              : byReference.getOrDefault("Patient/" + patient.getIdPart(), List.of());
      List<Resource> candidates =
          identifier != null
              ? byIdentifier.getOrDefault(identifier.getValue(), List.of())
              : mentioning != null ? mentioning : resources;
      List<IBaseResource> out = new ArrayList<>();
      for (Resource r : candidates) {
        if (r.getIdElement().getIdPart() == null) {
          continue;
        }
        if (identifier != null && !(r instanceof Patient p && hasIdentifier(p, identifier))) {
          continue;
        }
        if (mentioning != null && !mentioning.contains(r)) {
          continue;
        }
        out.add(r);
      }
      return out;
    }

    private static boolean hasIdentifier(Patient p, TokenParam token) {
      for (Identifier id : p.getIdentifier()) {
        if (token.getValue().equals(id.getValue())
            && (token.getSystem() == null || token.getSystem().equals(id.getSystem()))) {
          return true;
        }
      }
      return false;
    }
  }
}
