package org.placeshare.policy.identity;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registered clients at one moment, by id: a snapshot that is swapped whole when the clients
 * file changes, so a request sees one registry from start to end. A client absent from it has been
 * removed; one present may be active or suspended.
 */
public final class ClientRegistry {

  private final Map<String, RegisteredClient> clients;

  private ClientRegistry(Map<String, RegisteredClient> clients) {
    this.clients = clients;
  }

  /** A registry of these clients, each id once. */
  public static ClientRegistry of(Collection<RegisteredClient> clients) {
    Map<String, RegisteredClient> byId = new TreeMap<>();
    for (RegisteredClient c : clients) {
      if (byId.put(c.id(), c) != null) {
        throw new IllegalArgumentException("client " + c.id() + " is registered twice");
      }
    }
    return new ClientRegistry(Collections.unmodifiableMap(byId));
  }

  /** A registry of these clients, keyed by their ids. */
  public static ClientRegistry of(Map<String, RegisteredClient> clients) {
    return of(clients.values());
  }

  /** The client with this id, active or suspended; empty when none is registered. */
  public Optional<RegisteredClient> find(String id) {
    return Optional.ofNullable(id).map(clients::get);
  }

  /** Every registered client, by id in order. */
  public Map<String, RegisteredClient> clients() {
    return clients;
  }
}
