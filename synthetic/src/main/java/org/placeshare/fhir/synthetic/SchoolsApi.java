package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.util.Fields;

/**
 * The schools' pupil records, with attendance, exclusions and special educational needs: {@code GET
 * /v1/pupils} lists pupils by cursor ({@code paging.next}, a relative path with an opaque cursor);
 * {@code GET /v1/pupils/{upn}} answers one by Unique Pupil Number. Pupils are listed under their
 * preferred forename, as a school knows them. Mapped by {@code schools-sch-mapping.yaml}.
 */
final class SchoolsApi extends AgencyApi {

  static final int PAGE_SIZE = 30;
  private static final String[] EXCLUSIONS = {"FIXED", "FIXED", "PERM"};

  SchoolsApi(List<AgencyPerson> people) {
    super(people);
  }

  @Override
  String id(AgencyPerson p) {
    // A UPN's shape: a check letter and 12 digits (the local authority's number first).
    return String.format("A%03d%09d", 394, 120_000 + p.number());
  }

  @Override
  public Optional<byte[]> answer(String path, Fields query, String origin) {
    if (path.equals("/v1/pupils")) {
      String cursor = query.getValue("cursor");
      int from;
      try {
        from = cursor == null ? 0 : Integer.parseInt(cursor.substring(1), 36);
      } catch (RuntimeException e) {
        return Optional.empty();
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode data = root.putArray("data");
      slice(from, PAGE_SIZE).forEach(p -> data.add(pupil(p)));
      ObjectNode paging = root.putObject("paging");
      if (from + PAGE_SIZE < people.size()) {
        paging.put("next", "/v1/pupils?cursor=c" + Integer.toString(from + PAGE_SIZE, 36));
      }
      return bytes(root);
    }
    return person(path, "/v1/pupils/").map(this::record).flatMap(AgencyApi::bytes);
  }

  private ObjectNode pupil(AgencyPerson p) {
    ObjectNode o = JSON.createObjectNode();
    o.put("upn", id(p))
        .put("legalSurname", p.family())
        .put("preferredForename", p.given())
        .put("dateOfBirth", date(p.birthDate()))
        .put("gender", p.gender() == null ? null : p.gender().equals("female") ? "F" : "M")
        .put("postcode", p.postcode())
        .put("address1", p.addressLine());
    return o;
  }

  private ObjectNode record(AgencyPerson p) {
    int n = p.number();
    ObjectNode root = JSON.createObjectNode();
    root.set("pupil", pupil(p));
    ArrayNode attendance = root.putArray("attendance");
    for (int term = 0; term < 2; term++) {
      attendance
          .addObject()
          .put("recordId", id(p) + "-ATT-" + term)
          .put("termStart", EPOCH.minusMonths(4L * (term + 1)).toString())
          .put("termEnd", EPOCH.minusMonths(4L * term).minusDays(14).toString())
          .put("percent", String.format("%d.%d", 70 + (n * 7 + term * 3) % 30, n % 10));
    }
    ArrayNode exclusions = root.putArray("exclusions");
    if (n % 4 == 1) {
      exclusions
          .addObject()
          .put("exclusionId", "EXC-" + (800 + n))
          .put("kind", EXCLUSIONS[n % EXCLUSIONS.length])
          .put("startDate", EPOCH.minusDays(20L + n % 60).toString());
    }
    ArrayNode sen = root.putArray("sen");
    if (n % 3 == 1) {
      sen.addObject()
          .put("senId", "SEN-" + (300 + n))
          .put("provision", n % 2 == 0 ? "E" : "K")
          .put("since", EPOCH.minusYears(2).toString());
    }
    return root;
  }
}
