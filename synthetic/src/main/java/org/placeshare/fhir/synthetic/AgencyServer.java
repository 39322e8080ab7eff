package org.placeshare.fhir.synthetic;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * An agency's plain JSON API in Jetty, as the council's case system is: each agency's server
 * answers a path and its query with a JSON body, or nothing (404). Stands for a non-FHIR system
 * outside the gateway.
 */
public final class AgencyServer implements AutoCloseable {

  /** What an agency's API answers: the body for a GET, or empty for 404. */
  interface Api {
    Optional<byte[]> answer(String path, Fields query, String origin);
  }

  private final Server server;

  private AgencyServer(Server server) {
    this.server = server;
  }

  static AgencyServer start(int port, Api api) throws Exception {
    Server server = new Server(new InetSocketAddress("127.0.0.1", port));
    server.setHandler(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            String origin =
                "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort();
            Optional<byte[]> body =
                "GET".equals(request.getMethod())
                    ? api.answer(
                        Request.getPathInContext(request),
                        Request.extractQueryParameters(request),
                        origin)
                    : Optional.empty();
            response.setStatus(body.isPresent() ? 200 : 404);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(
                true,
                ByteBuffer.wrap(
                    body.orElse("{\"error\":\"not found\"}".getBytes(StandardCharsets.UTF_8))),
                callback);
            return true;
          }
        });
    server.start();
    return new AgencyServer(server);
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
