package org.placeshare.gateway.http.console;

import com.nimbusds.jose.util.Base64URL;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.placeshare.gateway.trust.Revocations;
import org.placeshare.policy.identity.Caller;

/**
 * Console sign-ins, held by the gateway: a random session id in an {@code HttpOnly}, {@code
 * SameSite=Strict} cookie (the browser never holds the access token), a CSRF token per session for
 * every change, 30 minutes idle and 8 hours at most.
 */
final class ConsoleSessions {

  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration LONGEST = Revocations.LONGEST_SESSION;
  static final int MAX_SESSIONS = 10_000;

  /** One signed-in IG lead. */
  record Session(String id, Caller caller, String csrf, Instant started, Instant lastSeen) {}

  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;

  ConsoleSessions(Clock clock) {
    this.clock = clock;
  }

  /** A new session, or empty when {@link #MAX_SESSIONS} are live: the caller answers 503. */
  Optional<Session> start(Caller caller) {
    Instant now = clock.instant();
    sessions.values().removeIf(s -> expired(s, now));
    if (sessions.size() >= MAX_SESSIONS) {
      return Optional.empty();
    }
    Session session = new Session(secret(), caller, secret(), now, now);
    sessions.put(session.id(), session);
    return Optional.of(session);
  }

  /** The session for a cookie value, if live; seeing it keeps it alive. */
  Optional<Session> find(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Session s = sessions.get(id);
    Instant now = clock.instant();
    if (s == null || expired(s, now)) {
      if (s != null) {
        sessions.remove(id);
      }
      return Optional.empty();
    }
    Session seen = new Session(s.id(), s.caller(), s.csrf(), s.started(), now);
    sessions.put(id, seen);
    return Optional.of(seen);
  }

  void end(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  /** Constant-time comparison of a form's CSRF token with the session's. */
  static boolean csrfMatches(Session session, String token) {
    return token != null && MessageDigest.isEqual(session.csrf().getBytes(), token.getBytes());
  }

  private static boolean expired(Session s, Instant now) {
    return now.isAfter(s.lastSeen().plus(IDLE)) || now.isAfter(s.started().plus(LONGEST));
  }

  private String secret() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64URL.encode(bytes).toString();
  }
}
