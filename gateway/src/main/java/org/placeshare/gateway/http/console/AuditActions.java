package org.placeshare.gateway.http.console;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.placeshare.gateway.audit.AuditSearch;
import org.placeshare.gateway.cohort.MemberRelease;
import org.placeshare.gateway.http.fhir.HouseholdView;
import org.placeshare.gateway.http.fhir.PatientMatch;
import org.placeshare.gateway.http.fhir.PatientRest;
import org.placeshare.gateway.http.fhir.PersonViewHandler;
import org.placeshare.gateway.notify.DeliveryWorker;

/**
 * The audit actions an IG lead looks for most, in words: offered as choices for the search's action
 * filter and shown beside the action in the results. Any other action is still searched for and
 * shown by its name.
 */
final class AuditActions {

  /** In the order the search offers them. */
  private static final Map<String, String> WORDS = words();

  private static Map<String, String> words() {
    Map<String, String> words = new LinkedHashMap<>();
    words.put(PersonViewHandler.ACTION, "person view");
    words.put(PatientRest.READ_ACTION, "patient read");
    words.put(PatientRest.SEARCH_ACTION, "patient search");
    words.put(HouseholdView.ACTION, "household view");
    words.put(HouseholdView.MEMBER_ACTION, "household member seen");
    words.put(MemberRelease.ACTION, "person in a cohort export");
    words.put(PatientMatch.ACTION, "patient match");
    words.put(AuditSearch.REVIEW_ACTION, "break-glass review");
    words.put(DeliveryWorker.ACTION, "notification delivered or refused");
    return Collections.unmodifiableMap(words);
  }

  private AuditActions() {}

  /** The actions offered as choices: each action and its words. */
  static Map<String, String> choices() {
    return WORDS;
  }

  /** An action as the results show it: its words and its name, or its name alone. */
  static String shown(String action) {
    String words = WORDS.get(action);
    return words == null ? ConsoleAuditPages.text(action) : words + " (" + action + ")";
  }
}
