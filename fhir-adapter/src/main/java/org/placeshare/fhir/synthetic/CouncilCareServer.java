package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A council adult social care case system that does not speak FHIR: a JSON API answering {@code GET
 * /api/people?nhsNumber=} with one person and their services, as such systems do. The demo's
 * council source, mapped to FHIR by {@code council-asc-mapping.yaml}.
 */
public final class CouncilCareServer implements AutoCloseable {

  /** The person whose case record holds a service type the mapping does not know. */
  public static final int UNMAPPED_SERVICE = 9;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;

  private CouncilCareServer(HttpServer server) {
    this.server = server;
  }

  /** The mapping for this system, as the demo and the tests use it. */
  public static InputStream mapping() {
    return CouncilCareServer.class.getResourceAsStream("council-asc-mapping.yaml");
  }

  public static CouncilCareServer start(int port, List<SyntheticPerson> people) throws IOException {
    Map<String, byte[]> records = new HashMap<>();
    for (SyntheticPerson p : people) {
      if (SyntheticRecords.holds(SyntheticRecords.Kind.COUNCIL, p)) {
        records.put(p.nhsNumber().toString(), JSON.writeValueAsBytes(record(p)));
      }
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/api/people", exchange -> answer(exchange, records));
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

  private static void answer(HttpExchange exchange, Map<String, byte[]> records)
      throws IOException {
    String nhs = parameter(exchange.getRequestURI(), "nhsNumber");
    byte[] body = nhs == null ? null : records.get(nhs);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (body == null) {
      byte[] none = "{\"error\":\"no such person\"}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(404, none.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(none);
      }
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static String parameter(URI uri, String name) {
    String query = uri.getRawQuery();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  public URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
