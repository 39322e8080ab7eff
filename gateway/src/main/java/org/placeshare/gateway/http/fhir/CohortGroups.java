package org.placeshare.gateway.http.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.placeshare.fhir.Fhir;
import org.placeshare.gateway.cohort.Cohorts;
import org.placeshare.gateway.http.edge.FhirBody;
import org.placeshare.gateway.http.edge.FhirFormat;
import org.placeshare.gateway.http.edge.GatewayException;
import org.placeshare.policy.InvalidNhsNumberException;
import org.placeshare.policy.NhsNumber;

/**
 * A cohort as a FHIR R4 {@code Group}: read strictly from a registration, written back on a read.
 */
final class CohortGroups {

  private CohortGroups() {}

  static Group parse(FhirFormat format, String body) {
    return FhirBody.parse(format, Group.class, body);
  }

  static GatewayException unreadable(Throwable e) {
    if (e instanceof GatewayException g) {
      return g;
    }
    String why =
        e instanceof DataFormatException
            ? e.getMessage()
            : "the body is not a FHIR R4 Group in JSON or XML";
    return new GatewayException(
        IssueType.STRUCTURE, "expected a FHIR R4 Group in JSON or XML: " + why);
  }

  /**
   * The members as NHS numbers; every problem (not just the first) is added to {@code problems}.
   */
  static List<NhsNumber> members(Group group, int maxMembers, List<String> problems) {
    if (group.getType() != Group.GroupType.PERSON) {
      problems.add("Group.type: expected person");
    }
    if (group.hasActual() && !group.getActual()) {
      problems.add("Group.actual: expected true (a list of people, not a definition)");
    }
    if (group.hasName() && group.getName().length() > 200) {
      problems.add("Group.name: expected at most 200 characters");
    }
    int count = group.getMember().size();
    if (count == 0 || count > maxMembers) {
      problems.add("Group.member: expected 1 to " + maxMembers + " members, got " + count);
      return List.of();
    }
    List<NhsNumber> numbers = new ArrayList<>(count);
    Map<NhsNumber, Integer> seen = new HashMap<>();
    for (int i = 0; i < count; i++) {
      Group.GroupMemberComponent m = group.getMember().get(i);
      String at = "Group.member[" + i + "]";
      if (m.hasInactive() && m.getInactive()) {
        problems.add(at + ".inactive: inactive members are not taken; leave them out");
        continue;
      }
      Identifier id = m.getEntity().getIdentifier();
      if (!Fhir.NHS_NUMBER_SYSTEM.equals(id.getSystem()) || !id.hasValue()) {
        problems.add(
            at + ".entity.identifier: expected system " + Fhir.NHS_NUMBER_SYSTEM + " and a value");
        continue;
      }
      NhsNumber number;
      try {
        number = NhsNumber.parse(id.getValue());
      } catch (InvalidNhsNumberException e) {
        problems.add(at + ".entity.identifier.value: " + e.getMessage());
        continue;
      }
      Integer first = seen.putIfAbsent(number, i);
      if (first != null) {
        problems.add(at + ": the same NHS number as Group.member[" + first + "]");
        continue;
      }
      numbers.add(number);
    }
    return numbers;
  }

  static Group of(Cohorts.Cohort cohort, List<NhsNumber> numbers) {
    Group group = new Group();
    group.setId(cohort.id().toString());
    group.getMeta().setLastUpdated(Date.from(cohort.created()));
    group.setType(Group.GroupType.PERSON).setActual(true).setQuantity(cohort.members());
    cohort.name().ifPresent(group::setName);
    group
        .getManagingEntity()
        .setIdentifier(
            new Identifier().setSystem(Fhir.ODS_SYSTEM).setValue(cohort.organisation().value()));
    for (NhsNumber n : numbers) {
      group
          .addMember()
          .getEntity()
          .setIdentifier(new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(n.toString()));
    }
    return group;
  }
}
