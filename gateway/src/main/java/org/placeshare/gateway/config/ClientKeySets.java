package org.placeshare.gateway.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.identity.ClientKeys;

/**
 * Reads a client's public JWK Set, from its file or a fetched body, and checks it with {@link
 * ClientKeys#of}: every problem names the key by its line, so an operator finds it at once.
 */
public final class ClientKeySets {

  private ClientKeySets() {}

  /** The checked keys of a JWKS file no bigger than {@link ClientKeys#MAX_JWKS_BYTES}. */
  public static ClientKeys read(Path file) {
    String text;
    try {
      if (Files.size(file) > ClientKeys.MAX_JWKS_BYTES) {
        throw new PolicyException(
            file + ": expected at most " + ClientKeys.MAX_JWKS_BYTES + " bytes");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PolicyException(file + ": cannot be read: " + e.getMessage(), e);
    }
    return parse(text, file.toString());
  }

  /**
   * The checked keys of a JWK Set's text.
   *
   * @param where names the text in messages (a file, "the key set fetched from ...")
   */
  public static ClientKeys parse(String json, String where) {
    if (json.length() > ClientKeys.MAX_JWKS_BYTES) {
      throw new PolicyException(
          where + ": expected at most " + ClientKeys.MAX_JWKS_BYTES + " bytes");
    }
    List<Integer> lines = keyLines(json, where);
    JWKSet set;
    try {
      set = JWKSet.parse(json);
    } catch (ParseException e) {
      throw new PolicyException(where + ": expected a JWK set: " + e.getMessage(), e);
    }
    try {
      return ClientKeys.of(
          set, i -> "line " + (i < lines.size() ? lines.get(i) : "?") + ": keys[" + i + "]");
    } catch (PolicyException e) {
      throw new PolicyException(where + ": " + e.getMessage(), e);
    }
  }

  /** The line each element of the top-level {@code keys} array starts on. */
  private static List<Integer> keyLines(String json, String where) {
    List<Integer> lines = new ArrayList<>();
    try (JsonParser p = new JsonFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new PolicyException(where + ": expected a JWK set, a JSON object with keys");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (name.equals("keys") && value == JsonToken.START_ARRAY) {
          while (p.nextToken() != JsonToken.END_ARRAY) {
            if (lines.size() > ClientKeys.MAX_KEYS) {
              throw new PolicyException(
                  where + ": expected at most " + ClientKeys.MAX_KEYS + " keys");
            }
            lines.add(p.currentTokenLocation().getLineNr());
            p.skipChildren();
          }
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      throw new PolicyException(where + ": expected a JWK set: " + e.getMessage(), e);
    }
    return lines;
  }
}
