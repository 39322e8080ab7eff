package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A council adult social care case system that does not speak FHIR: a JSON API answering {@code GET
 * /api/people?nhsNumber=} with one person and their services, as such systems do. The demo's
 * council source, mapped to FHIR by {@code council-asc-mapping.yaml}.
 */
public final class CouncilCareServer implements AutoCloseable {

  /** The person whose case record holds a service type the mapping does not know. */
  public static final int UNMAPPED_SERVICE = 9;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Server server;

  private CouncilCareServer(Server server) {
    this.server = server;
  }

  /** The mapping for this system, as the demo and the tests use it. */
  public static InputStream mapping() {
    return CouncilCareServer.class.getResourceAsStream("council-asc-mapping.yaml");
  }

  public static CouncilCareServer start(int port, List<SyntheticPerson> people) throws Exception {
    Map<String, byte[]> records = new HashMap<>();
    for (SyntheticPerson p : people) {
      if (SyntheticRecords.holds(SyntheticRecords.Kind.COUNCIL, p)) {
        records.put(p.nhsNumber().toString(), JSON.writeValueAsBytes(record(p)));
      }
    }
    // Jetty, as the FHIR sources: it answers in one write with TCP_NODELAY, where the JDK's
    // server writes headers and body apart and Nagle's algorithm holds the body ~40 ms.
    Server server = new Server(new InetSocketAddress("127.0.0.1", port));
    server.setHandler(new People(records));
    server.start();
    return new CouncilCareServer(server);
  }

  private static ObjectNode record(SyntheticPerson p) {
    int i = p.index();
    ObjectNode root = JSON.createObjectNode();
    root.putObject("person")
        .put("personId", "asc-" + i)
        .put("nhsNo", p.nhsNumber().toString())
        .put("surname", p.family())
        .put("forename", p.given())
        .put("dob", p.birthDate().toString())
        .put("sex", p.gender().equals("female") ? "F" : p.gender().equals("male") ? "M" : "U")
        .put("postcode", p.postcode());
    ArrayNode services = root.putArray("services");
    services
        .addObject()
        .put("ref", "asc-" + i + "-svc-0")
        .put("serviceType", i % 2 == 0 ? "HC" : "RB")
        .put("state", "open")
        .put("started", "2025-" + String.format("%02d", 1 + i % 12) + "-01")
        .putNull("ended");
    if (i == UNMAPPED_SERVICE) {
      // A service type added to the case system after the mapping was written.
      services
          .addObject()
          .put("ref", "asc-" + i + "-svc-1")
          .put("serviceType", "XX")
          .put("state", "open")
          .put("started", "2026-02-01");
    }
    return root;
  }

  /** Answers {@code GET /api/people?nhsNumber=}: the person's record, or 404. */
  private static final class People extends Handler.Abstract {
    private final Map<String, byte[]> records;

    People(Map<String, byte[]> records) {
      this.records = records;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String nhs =
          "/api/people".equals(Request.getPathInContext(request))
              ? Request.extractQueryParameters(request).getValue("nhsNumber")
              : null;
      byte[] body = nhs == null ? null : records.get(nhs);
      response.setStatus(body == null ? 404 : 200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(
          true,
          ByteBuffer.wrap(
              body == null
                  ? "{\"error\":\"no such person\"}".getBytes(StandardCharsets.UTF_8)
                  : body),
          callback);
      return true;
    }
  }

  public URI baseUrl() {
    return URI.create(
        "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
