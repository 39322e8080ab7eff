package org.placeshare.fhir.synthetic;

import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.placeshare.fhir.synthetic.TracingPopulation.IndexPerson;

/**
 * A synthetic reference demographic index, as NHS PDS is in England: a read-only FHIR R4 server
 * (HAPI {@link RestfulServer} in Jetty) of Patients with NHS number, names (previous family names
 * as {@code use: old}), birth date, gender, address history and death, answering PDS-style search
 * ({@link ReferencePatients} says which parameters and how the fuzzy search blocks).
 *
 * <p>A UPRN, where known, is carried as PDS carries it: the UK Core address-key extension on the
 * address ({@value ReferencePatients#ADDRESS_KEY_EXTENSION}, {@code type} UPRN, {@code value} the
 * UPRN).
 */
public final class ReferenceIndexServer implements AutoCloseable {

  /** One person the index holds, with what an {@link IndexPerson} does not say. */
  public record Entry(IndexPerson person, Optional<String> uprn, Optional<LocalDate> deceased) {
    public Entry {
      Objects.requireNonNull(person, "person");
      Objects.requireNonNull(person.nhsNumber(), "an index person needs an NHS number");
      uprn = uprn == null ? Optional.empty() : uprn;
      deceased = deceased == null ? Optional.empty() : deceased;
    }

    /** A living person whose UPRN is not known. */
    public static Entry of(IndexPerson person) {
      return new Entry(person, Optional.empty(), Optional.empty());
    }
  }

  private final Server jetty;
  private final URI baseUrl;

  private ReferenceIndexServer(Server jetty, URI baseUrl) {
    this.jetty = jetty;
    this.baseUrl = baseUrl;
  }

  /** Starts on 127.0.0.1 at the given port (0 for any free one), holding these people. */
  public static ReferenceIndexServer start(int port, List<IndexPerson> people) throws Exception {
    return startWith(port, people.stream().map(Entry::of).toList());
  }

  /** Starts on 127.0.0.1 at the given port (0 for any free one), holding these entries. */
  public static ReferenceIndexServer startWith(int port, List<Entry> entries) throws Exception {
    RestfulServer fhir = new RestfulServer(SyntheticRecords.FHIR);
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
    fhir.setResourceProviders(List.of(new ReferencePatients(entries)));

    Server jetty = new Server(new InetSocketAddress("127.0.0.1", port));
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    int actual = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
    return new ReferenceIndexServer(jetty, URI.create("http://127.0.0.1:" + actual + "/fhir"));
  }

  /**
   * The demo's own people as the index holds them, so that the people the demo's sources know can
   * be traced: one current name and postcode each, no history.
   */
  public static List<IndexPerson> indexPeople(List<SyntheticPerson> people) {
    return people.stream()
        .map(
            p ->
                new IndexPerson(
                    p.nhsNumber(),
                    p.family(),
                    p.given(),
                    List.of(),
                    p.birthDate(),
                    p.gender(),
                    p.postcode(),
                    List.of(),
                    null))
        .toList();
  }

  public URI baseUrl() {
    return baseUrl;
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
