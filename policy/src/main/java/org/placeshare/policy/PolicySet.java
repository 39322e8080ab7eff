package org.placeshare.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An immutable snapshot of the agreements in force, and the decision engine over them. Deny by
 * default: a request is permitted only when one agreement says yes to every part of it.
 */
public final class PolicySet {

  /** More files than this in one folder is a misconfiguration, not a policy. */
  public static final int MAX_AGREEMENTS = 500;

  private final List<Agreement> agreements;
  private final Clock clock;

  private PolicySet(List<Agreement> agreements, Clock clock) {
    this.agreements = List.copyOf(agreements);
    this.clock = clock;
  }

  public static PolicySet of(List<Agreement> agreements, Clock clock) {
    Map<String, Agreement> byId = new HashMap<>();
    for (Agreement a : agreements) {
      Agreement previous = byId.put(a.id(), a);
      if (previous != null) {
        throw new PolicyException(
            "expected each agreement id once, got '"
                + a.id()
                + "' twice (versions "
                + previous.version()
                + " and "
                + a.version()
                + ")");
      }
    }
    return new PolicySet(
        agreements.stream().sorted(Comparator.comparing(Agreement::id)).toList(), clock);
  }

  /**
   * Loads every {@code *.yaml} / {@code *.yml} file in a folder. All files are checked before any
   * is refused, and every problem in every file is listed.
   */
  public static PolicySet load(Path folder, Clock clock) {
    List<Path> files;
    try (Stream<Path> list = Files.list(folder)) {
      files =
          list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new PolicyException("cannot list agreements in " + folder + ": " + e.getMessage(), e);
    }
    if (files.size() > MAX_AGREEMENTS) {
      throw new PolicyException(
          "expected at most "
              + MAX_AGREEMENTS
              + " agreements in "
              + folder
              + ", got "
              + files.size());
    }
    List<Agreement> agreements = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      try {
        agreements.add(
            AgreementFile.parse(file.getFileName().toString(), Files.readAllBytes(file)));
      } catch (PolicyException e) {
        problems.add(e.getMessage());
      } catch (IOException e) {
        problems.add(file.getFileName() + ": cannot be read: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(String.join("\n", problems));
    }
    return of(agreements, clock);
  }

  public List<Agreement> agreements() {
    return agreements;
  }

  /**
   * Decides one request. The first agreement (by id) that permits it wins; with none, the deny
   * lists why each agreement that names this provider refused.
   */
  public Decision decide(DecisionRequest request) {
    LocalDate today = LocalDate.now(clock);
    List<String> refusals = new ArrayList<>();
    for (Agreement agreement : agreements) {
      if (!agreement.providers().contains(request.provider())) {
        continue;
      }
      String refusal = refusal(agreement, request, today);
      if (refusal == null) {
        return permit(agreement, request);
      }
      refusals.add(agreement.reference() + ": " + refusal);
    }
    if (refusals.isEmpty()) {
      refusals.add("no agreement names " + request.provider() + " as a provider");
    }
    return Decision.deny(request.provider(), refusals);
  }

  private static String refusal(Agreement agreement, DecisionRequest request, LocalDate today) {
    if (!agreement.inForceOn(today)) {
      return "not in force on "
          + today
          + " (status "
          + agreement.status().name().toLowerCase()
          + ", "
          + agreement.effective()
          + " to "
          + agreement.expires()
          + ")";
    }
    var roles = agreement.recipients().get(request.recipient());
    if (roles == null) {
      return request.recipient() + " is not a recipient";
    }
    if (!roles.contains(request.role())) {
      return "role '" + request.role() + "' is not allowed for " + request.recipient();
    }
    if (!agreement.purposesOfUse().contains(request.purpose())) {
      return "purpose " + request.purpose() + " is not allowed";
    }
    return switch (agreement.consent()) {
      case NONE -> null;
      // Consent tokens are verified by the identity layer; until one is presented, none is held.
      case REQUIRED -> "consent is required and none was presented";
      case REQUIRED_OR_EMERGENCY -> emergencyRefusal(agreement, request);
    };
  }

  private static String emergencyRefusal(Agreement agreement, DecisionRequest request) {
    if (request.emergencyReason().isEmpty()) {
      return "consent is required and none was presented; no emergency reason was stated";
    }
    if (!agreement.emergencyAllowed()) {
      return "emergency access is not allowed";
    }
    if (!request.purpose().equals(PurposeOfUse.EMERGENCY_TREATMENT)) {
      return "emergency access needs purpose ETREAT, got " + request.purpose();
    }
    return null;
  }

  private static Decision permit(Agreement agreement, DecisionRequest request) {
    boolean emergency =
        agreement.consent() == ConsentRule.REQUIRED_OR_EMERGENCY
            && request.emergencyReason().isPresent();
    String reason =
        emergency
            ? "emergency access for " + request.purpose() + " under " + agreement.reference()
            : request.recipient()
                + " may receive "
                + agreement.sortedResourceTypes()
                + " for "
                + request.purpose()
                + " under "
                + agreement.reference();
    return Decision.permit(request.provider(), agreement, reason, emergency);
  }
}
