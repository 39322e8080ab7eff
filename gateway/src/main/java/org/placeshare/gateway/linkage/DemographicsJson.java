package org.placeshare.gateway.linkage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.placeshare.fhir.linkage.Demographics;

/**
 * The register's stored form of the demographics a link or review was made on ({@link
 * Demographics#storedForm}), and their fingerprint ({@link Demographics#fingerprint}), by which a
 * sync and a view see that a record's demographics changed. Personal data: never logged.
 */
public final class DemographicsJson {

  private DemographicsJson() {}

  /** Fields in a fixed order, so equal demographics give the same text and fingerprint. */
  public static JsonObject json(Demographics d) {
    return d.storedForm();
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

  /** The fingerprint: {@link Demographics#fingerprint}, as views compute it too. */
  public static String fingerprint(Demographics d) {
    return d.fingerprint();
  }

  private static List<String> strings(JsonArray array) {
    return array == null ? List.of() : array.stream().map(String::valueOf).toList();
  }
}
