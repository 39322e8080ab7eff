package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.util.Fields;

/**
 * A housing association's tenants, with tenancies, rent arrears, repairs and the household at the
 * address: {@code GET /tenants?offset=&limit=} lists them (a relative {@code nextPage} path, null
 * on the last page); {@code GET /tenants/{tenantRef}} answers one. Mapped by {@code
 * housing-gha-mapping.yaml}.
 */
final class HousingApi extends AgencyApi {

  static final int MAX_LIMIT = 40;
  private static final String[] TENURES = {"SEC", "AST", "TEMP"};
  private static final String[] REPAIRS = {"DAMP", "HEATING", "ELECTRICAL"};

  HousingApi(List<AgencyPerson> people) {
    super(people);
  }

  @Override
  String id(AgencyPerson p) {
    return String.format("GHA-T%06d", 20_000 + p.number() * 7);
  }

  @Override
  public Optional<byte[]> answer(String path, Fields query, String origin) {
    if (path.equals("/tenants")) {
      int offset = number(query, "offset", 0);
      int limit = Math.min(MAX_LIMIT, number(query, "limit", MAX_LIMIT));
      if (offset < 0 || limit < 1) {
        return Optional.empty();
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode results = root.putArray("results");
      slice(offset, limit).forEach(p -> results.add(tenant(p)));
      root.put("total", people.size());
      if (offset + limit < people.size()) {
        root.put("nextPage", "/tenants?offset=" + (offset + limit) + "&limit=" + limit);
      } else {
        root.putNull("nextPage");
      }
      return bytes(root);
    }
    return person(path, "/tenants/").map(this::record).flatMap(AgencyApi::bytes);
  }

  private ObjectNode tenant(AgencyPerson p) {
    ObjectNode t = JSON.createObjectNode();
    t.put("tenantRef", id(p))
        .put("lastName", p.family())
        .put("firstName", p.given())
        .put("dob", date(p.birthDate()))
        .put("gender", p.gender() == null ? null : p.gender().equals("female") ? "Female" : "Male")
        .put("postCode", p.postcode())
        .put("addressLine1", p.addressLine());
    return t;
  }

  private ObjectNode record(AgencyPerson p) {
    int n = p.number();
    ObjectNode root = JSON.createObjectNode();
    root.set("tenant", tenant(p));
    root.putArray("tenancies")
        .addObject()
        .put("tenancyId", "TEN-" + (70_000 + n))
        .put("tenure", TENURES[n % TENURES.length])
        .put("status", n % 5 == 4 ? "ended" : "current")
        .put("startDate", EPOCH.minusYears(1 + n % 6).toString())
        .put("endDate", n % 5 == 4 ? EPOCH.minusMonths(2).toString() : null);
    ArrayNode arrears = root.putArray("arrears");
    if (n % 2 == 0) {
      arrears
          .addObject()
          .put("arrearsId", "ARR-" + (9_000 + n))
          .put("balance", String.format("%d.%02d", 100 + n * 13 % 900, n % 100))
          .put("asAt", EPOCH.minusDays(n % 28).toString());
    }
    ArrayNode repairs = root.putArray("repairs");
    repairs
        .addObject()
        .put("jobNo", "JOB" + (400_000 + n * 3))
        .put("category", REPAIRS[n % REPAIRS.length])
        .put("status", n % 3 == 0 ? "open" : "completed")
        .put("reported", EPOCH.minusDays(10L + n % 90).toString());
    root.putArray("household")
        .addObject()
        .put("householdId", "HH-" + (30_000 + n))
        .put("members", 1 + n % 5)
        .put("recorded", EPOCH.minusMonths(n % 12).toString());
    return root;
  }
}
