package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.util.Fields;

/**
 * A police force's nominal index (people known to it) and their incidents and concerns: {@code GET
 * /api/v2/nominals?page=N} lists 25 nominals a page, naming the next page as an absolute URL in
 * {@code links.next}; {@code GET /api/v2/nominals/{nominalId}} answers one with their incidents and
 * concerns. Mapped by {@code police-npf-mapping.yaml}.
 */
final class PoliceApi extends AgencyApi {

  static final int PAGE_SIZE = 25;
  private static final String[] INCIDENTS = {"DA", "ASB", "MISSING", "THEFT", "ASSAULT"};
  private static final String[] ROLES = {"VICTIM", "SUSPECT", "WITNESS"};
  private static final String[] CONCERNS = {"VULN", "CSE", "GANG"};

  PoliceApi(List<AgencyPerson> people) {
    super(people);
  }

  @Override
  String id(AgencyPerson p) {
    return String.format("NOM%07d", 4100 + p.number());
  }

  @Override
  public Optional<byte[]> answer(String path, Fields query, String origin) {
    if (path.equals("/api/v2/nominals")) {
      int page = number(query, "page", 1);
      if (page < 1) {
        return Optional.empty();
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode list = root.putArray("nominals");
      slice((page - 1) * PAGE_SIZE, PAGE_SIZE).forEach(p -> list.add(nominal(p)));
      ObjectNode links = root.putObject("links");
      links.put("self", origin + "/api/v2/nominals?page=" + page);
      if (page * PAGE_SIZE < people.size()) {
        links.put("next", origin + "/api/v2/nominals?page=" + (page + 1));
      }
      return bytes(root);
    }
    return person(path, "/api/v2/nominals/").map(this::record).flatMap(AgencyApi::bytes);
  }

  private ObjectNode nominal(AgencyPerson p) {
    ObjectNode n = JSON.createObjectNode();
    n.put("nominalId", id(p))
        .put("surname", p.family())
        .put("forenames", p.given())
        .put("dateOfBirth", date(p.birthDate()))
        .put("sex", p.gender() == null ? "U" : p.gender().equals("female") ? "F" : "M")
        .put("homePostcode", p.postcode())
        .put("homeAddress", p.addressLine());
    return n;
  }

  private ObjectNode record(AgencyPerson p) {
    ObjectNode root = JSON.createObjectNode();
    root.set("nominal", nominal(p));
    ArrayNode incidents = root.putArray("incidents");
    int n = p.number();
    for (int i = 0; i <= n % 2; i++) {
      incidents
          .addObject()
          .put("incidentNo", String.format("INC/%d/%05d", 25, n * 3 + i))
          .put("incidentType", INCIDENTS[(n + i) % INCIDENTS.length])
          .put("role", ROLES[(n + i) % ROLES.length])
          .put("occurred", EPOCH.minusDays(30L * (n % 12) + 7L * i).toString());
    }
    ArrayNode concerns = root.putArray("concerns");
    if (n % 3 == 0) {
      concerns
          .addObject()
          .put("concernId", "CON-" + (5000 + n))
          .put("concernType", CONCERNS[n % CONCERNS.length])
          .put("status", n % 2 == 0 ? "OPEN" : "CLOSED")
          .put("raised", EPOCH.minusDays(60L + n).toString());
    }
    return root;
  }
}
