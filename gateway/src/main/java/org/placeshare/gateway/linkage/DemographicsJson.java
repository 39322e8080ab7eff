package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.placeshare.fhir.linkage.Demographics;

/**
 * The register's stored form of the demographics a link or review was made on, and their
 * fingerprint: SHA-256 of that form, by which a sync sees that a record's demographics changed
 * without comparing them field by field. Personal data: never logged.
 */
public final class DemographicsJson {

  private DemographicsJson() {}

  /** Fields in a fixed order, so equal demographics give the same text and fingerprint. */
  public static JsonObject json(Demographics d) {
    return new JsonObject()
        .put("family", d.family())
        .put("given", d.given())
        .put("previousFamilies", new JsonArray(d.previousFamilies()))
        .put("birthDate", d.birthDate().toString())
        .put("gender", d.gender())
        .put("postcode", d.postcode())
        .put("previousPostcodes", new JsonArray(d.previousPostcodes()))
        .put("addressLine", d.addressLine())
        .put("uprn", d.uprn().orElse(null));
  }

  /** Demographics as {@link #json} wrote them (checked again, as any demographics are). */
  public static Demographics read(JsonObject json) {
    return new Demographics(
        json.getString("family"),
        json.getString("given"),
        strings(json.getJsonArray("previousFamilies")),
        LocalDate.parse(json.getString("birthDate")),
        json.getString("gender"),
        json.getString("postcode"),
        strings(json.getJsonArray("previousPostcodes")),
        json.getString("addressLine"),
        Optional.ofNullable(json.getString("uprn")));
  }

  /** The fingerprint: lower-case hex SHA-256 of the stored form. */
  public static String fingerprint(Demographics d) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(json(d).encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static List<String> strings(JsonArray array) {
    return array == null ? List.of() : array.stream().map(String::valueOf).toList();
  }
}
