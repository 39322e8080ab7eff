package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.util.Fields;

/**
 * A youth justice service's case system, with court orders and interventions: {@code GET
 * /cases?pageNumber=N} lists 20 cases a page (an absolute URL in {@code next}); {@code GET
 * /cases/{caseNo}} answers one. Mapped by {@code youth-justice-yjs-mapping.yaml}.
 */
final class YouthJusticeApi extends AgencyApi {

  static final int PAGE_SIZE = 20;
  private static final String[] ORDERS = {"RO", "YRO", "DTO"};
  private static final String[] PROGRAMMES = {"ETE", "SUBSTANCE", "VICTIM"};

  YouthJusticeApi(List<AgencyPerson> people) {
    super(people);
  }

  @Override
  String id(AgencyPerson p) {
    return String.format("YJ-%02d-%04d", 20 + p.number() % 6, p.number());
  }

  @Override
  public Optional<byte[]> answer(String path, Fields query, String origin) {
    if (path.equals("/cases")) {
      int page = number(query, "pageNumber", 1);
      if (page < 1) {
        return Optional.empty();
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode items = root.putArray("items");
      slice((page - 1) * PAGE_SIZE, PAGE_SIZE).forEach(p -> items.add(child(p)));
      root.put("pageNumber", page);
      if (page * PAGE_SIZE < people.size()) {
        root.put("next", origin + "/cases?pageNumber=" + (page + 1));
      }
      return bytes(root);
    }
    return person(path, "/cases/").map(this::record).flatMap(AgencyApi::bytes);
  }

  private ObjectNode child(AgencyPerson p) {
    ObjectNode c = JSON.createObjectNode();
    c.put("caseNo", id(p))
        .put("familyName", p.family())
        .put("givenName", p.given())
        .put("birthDate", date(p.birthDate()))
        .put("sex", p.gender() == null ? "NK" : p.gender().equals("female") ? "F" : "M")
        .put("postcode", p.postcode())
        .put("address", p.addressLine());
    return c;
  }

  private ObjectNode record(AgencyPerson p) {
    int n = p.number();
    ObjectNode root = JSON.createObjectNode();
    root.set("case", child(p));
    root.putArray("orders")
        .addObject()
        .put("orderId", "ORD-" + (1_000 + n))
        .put("orderType", ORDERS[n % ORDERS.length])
        .put("status", n % 4 == 3 ? "COMPLETED" : "ACTIVE")
        .put("made", EPOCH.minusMonths(3L + n % 9).toString())
        .put("ends", EPOCH.plusMonths(3L + n % 9).toString());
    ArrayNode interventions = root.putArray("interventions");
    for (int i = 0; i <= n % 2; i++) {
      interventions
          .addObject()
          .put("interventionId", "INT-" + (2_000 + n * 2 + i))
          .put("programme", PROGRAMMES[(n + i) % PROGRAMMES.length])
          .put("status", i == 0 ? "in-progress" : "completed")
          .put("started", EPOCH.minusMonths(2L + i).toString());
    }
    return root;
  }
}
