package org.placeshare.fhir.mapped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Where a walk through a traced source's roster stands: the next page to read, how many pages and
 * people were read before it, and a short hash of every page read (to refuse a loop). Handed to the
 * caller as an opaque string, so the walk needs no state in the gateway and survives a restart.
 *
 * @param seen the first 12 hex digits of the SHA-256 of each page URL read
 */
record RosterCursor(String next, int pagesRead, int peopleRead, List<String> seen) {

  /** A cursor longer than this was not made here. */
  static final int MAX_LENGTH = 256 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  RosterCursor {
    seen = List.copyOf(seen);
  }

  static RosterCursor first(String url) {
    return new RosterCursor(url, 0, 0, List.of());
  }

  boolean hasRead(String url) {
    return seen.contains(hash(url));
  }

  /** The cursor after reading this one's page, which named {@code url} next. */
  RosterCursor then(String url, int people) {
    List<String> read = new ArrayList<>(seen);
    read.add(hash(next));
    return new RosterCursor(url, pagesRead + 1, peopleRead + people, read);
  }

  String encode() {
    ObjectNode node = JSON.createObjectNode();
    node.put("next", next).put("pages", pagesRead).put("people", peopleRead);
    seen.forEach(node.putArray("seen")::add);
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(node));
    } catch (IOException e) {
      throw new IllegalStateException("a cursor is always JSON", e);
    }
  }

  /**
   * @throws IllegalArgumentException when the text is not a cursor this class made
   */
  static RosterCursor decode(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("expected a roster cursor, got a longer text");
    }
    try {
      JsonNode node = JSON.readTree(Base64.getUrlDecoder().decode(text));
      List<String> seen = new ArrayList<>();
      node.get("seen").forEach(h -> seen.add(h.asText()));
      return new RosterCursor(
          node.get("next").asText(), node.get("pages").asInt(), node.get("people").asInt(), seen);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("expected a roster cursor made by this source", e);
    }
  }

  private static String hash(String url) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
