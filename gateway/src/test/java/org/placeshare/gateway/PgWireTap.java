package org.placeshare.gateway;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A TCP relay between the gateway and its PostgreSQL that reads the frontend side of the wire
 * protocol (https://www.postgresql.org/docs/current/protocol-flow.html) and records each round
 * trip: every {@code Sync} (the end of an extended-query exchange, prepared statements and batches
 * alike) and every simple {@code Query}, each answered by one ReadyForQuery the client waits for,
 * with the SQL it ran. An honest counter at the edge: it sees what reaches the server, whatever the
 * client library does.
 */
final class PgWireTap implements AutoCloseable {

  /**
   * One round trip: the statements executed before its Sync, or the simple query's text; and the
   * statements parsed (prepared) in it, which a client that keeps its prepared statements sends
   * once a connection, and one that does not sends before every execution, in a round trip of their
   * own; and the connection it was made on, numbered from 1 in the order they opened.
   */
  record RoundTrip(long atNanos, int connection, List<String> statements, List<String> parsed) {}

  private static final int SSL_REQUEST = 80877103;
  private static final int GSS_REQUEST = 80877104;

  private final ServerSocket listener;
  private final String upstreamHost;
  private final int upstreamPort;
  private final List<RoundTrip> trips = new ArrayList<>();
  private final List<Socket> sockets = new ArrayList<>();

  private PgWireTap(ServerSocket listener, String upstreamHost, int upstreamPort) {
    this.listener = listener;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
  }

  /** Starts a relay to the database of {@code url}; {@link #url} is the one to give the gateway. */
  static PgWireTap to(String url) throws IOException {
    URI uri = URI.create(url);
    ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    PgWireTap tap = new PgWireTap(listener, uri.getHost(), uri.getPort());
    Thread accept = new Thread(tap::accept, "pg-wire-tap");
    accept.setDaemon(true);
    accept.start();
    return tap;
  }

  /** The database URL with the relay's port in place of the server's. */
  String url(String url) {
    return url.replace(":" + upstreamPort + "/", ":" + listener.getLocalPort() + "/");
  }

  /** Every round trip recorded, in order. */
  synchronized List<RoundTrip> all() {
    return List.copyOf(trips);
  }

  /** The round trips recorded since {@code fromNanos} ({@link System#nanoTime}). */
  synchronized List<RoundTrip> since(long fromNanos) {
    return trips.stream().filter(t -> t.atNanos() >= fromNanos).toList();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(upstreamHost, upstreamPort);
        int connection;
        synchronized (this) {
          sockets.add(client);
          sockets.add(server);
          connection = sockets.size() / 2;
        }
        thread(
            () -> frontend(connection, client.getInputStream(), server.getOutputStream()),
            client,
            server);
        thread(() -> copy(server.getInputStream(), client.getOutputStream()), client, server);
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Pumps one direction; when either side ends, both are closed, as a direct connection ends. */
  private static void thread(IoAction action, Socket client, Socket server) {
    Thread t =
        new Thread(
            () -> {
              try {
                action.run();
              } catch (IOException e) {
                // the connection ended
              } finally {
                closeQuietly(client);
                closeQuietly(server);
              }
            },
            "pg-wire-tap-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closed already
    }
  }

  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[16384];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      out.write(buffer, 0, n);
      out.flush();
    }
    throw new EOFException();
  }

  /** Relays the client's messages, reading each to record the round trips. */
  private void frontend(int connection, InputStream raw, OutputStream out) throws IOException {
    DataInputStream in = new DataInputStream(raw);
    // Untyped first messages: the startup message, after an SSL or GSS request refused.
    while (true) {
      int length = in.readInt();
      byte[] body = in.readNBytes(length - 4);
      out.write(intBytes(length));
      out.write(body);
      out.flush();
      int code = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8);
      code |= body[3] & 0xff;
      if (code != SSL_REQUEST && code != GSS_REQUEST) {
        break;
      }
    }
    Map<String, String> prepared = new HashMap<>();
    List<String> pending = new ArrayList<>();
    List<String> parsed = new ArrayList<>();
    while (true) {
      int type = in.read();
      if (type < 0) {
        throw new EOFException();
      }
      int length = in.readInt();
      byte[] body = in.readNBytes(length - 4);
      switch (type) {
        case 'P' -> {
          String[] parts = cStrings(body, 2);
          prepared.put(parts[0], parts[1]);
          parsed.add(parts[1]);
        }
        case 'B' -> pending.add(prepared.getOrDefault(cStrings(body, 2)[1], "?"));
        case 'Q' -> record(connection, List.of(cStrings(body, 1)[0]), List.of());
        case 'S' -> {
          record(connection, List.copyOf(pending), List.copyOf(parsed));
          pending.clear();
          parsed.clear();
        }
        default -> {}
      }
      out.write(type);
      out.write(intBytes(length));
      out.write(body);
      out.flush();
    }
  }

  private synchronized void record(int connection, List<String> statements, List<String> parsed) {
    trips.add(new RoundTrip(System.nanoTime(), connection, statements, parsed));
  }

  private static String[] cStrings(byte[] body, int count) {
    String[] strings = new String[count];
    int at = 0;
    for (int i = 0; i < count; i++) {
      int end = at;
      while (body[end] != 0) {
        end++;
      }
      strings[i] = new String(body, at, end - at, StandardCharsets.UTF_8);
      at = end + 1;
    }
    return strings;
  }

  private static byte[] intBytes(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  @Override
  public synchronized void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
