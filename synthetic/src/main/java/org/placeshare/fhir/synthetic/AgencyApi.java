package org.placeshare.fhir.synthetic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.util.Fields;

/**
 * What the four agencies' APIs share: their people by their own ids, and a page of them. Each
 * agency names its fields, its ids and its paging its own way.
 */
abstract class AgencyApi implements AgencyServer.Api {

  static final ObjectMapper JSON = new ObjectMapper();

  /** The day the synthetic records are dated from, so every run makes the same records. */
  static final LocalDate EPOCH = LocalDate.of(2026, 1, 5);

  final List<AgencyPerson> people;
  final Map<String, AgencyPerson> byId = new LinkedHashMap<>();

  AgencyApi(List<AgencyPerson> people) {
    this.people = List.copyOf(people);
    for (AgencyPerson p : this.people) {
      byId.put(id(p), p);
    }
  }

  /** The agency's own id of a person. */
  abstract String id(AgencyPerson p);

  /** People {@code from} to {@code from + size}, as many as there are. */
  List<AgencyPerson> slice(int from, int size) {
    if (from < 0 || from >= people.size()) {
      return List.of();
    }
    return people.subList(from, Math.min(people.size(), from + size));
  }

  static int number(Fields query, String name, int otherwise) {
    String value = query.getValue(name);
    try {
      return value == null ? otherwise : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static String date(LocalDate date) {
    return date == null ? null : date.toString();
  }

  static Optional<byte[]> bytes(ObjectNode node) {
    try {
      return Optional.of(JSON.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree is always JSON", e);
    }
  }

  /** The person in {@code /prefix/{id}}, if the path is one and they are held. */
  Optional<AgencyPerson> person(String path, String prefix) {
    if (!path.startsWith(prefix) || path.length() == prefix.length()) {
      return Optional.empty();
    }
    return Optional.ofNullable(byId.get(path.substring(prefix.length())));
  }
}
