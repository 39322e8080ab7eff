package org.placeshare.gateway.http.policy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.placeshare.policy.Agreement;
import org.placeshare.policy.Decision;
import org.placeshare.policy.Obligations;
import org.placeshare.policy.OdsCode;

/**
 * Agreements and decisions as the JSON API shows them. A pilot's cohort is counted, never listed:
 * it is a list of NHS numbers.
 */
final class AgreementJson {

  private AgreementJson() {}

  static JsonObject summary(Agreement a, LocalDate today) {
    return new JsonObject()
        .put("id", a.id())
        .put("version", a.version())
        .put("reference", a.reference())
        .put("title", a.title())
        .put("status", lower(a.status()))
        .put("inForce", a.inForceOn(today))
        .put("monitorOnly", a.monitorOnly())
        .put("effective", a.effective().toString())
        .put("expires", a.expires().toString())
        .put("review", a.review().toString())
        .put("providers", codes(a.providers()))
        .put("recipients", recipients(a.recipients()))
        .put(
            "purposesOfUse",
            new JsonArray(a.purposesOfUse().stream().map(p -> p.code()).sorted().toList()))
        .put("sha256", a.sha256());
  }

  static JsonObject detail(Agreement a, LocalDate today) {
    JsonObject json = summary(a, today);
    json.put(
        "signatories",
        new JsonArray(
            a.signatories().stream()
                .map(
                    s ->
                        new JsonObject()
                            .put("organisation", s.organisation().value())
                            .put("name", s.name())
                            .put("role", s.role())
                            .put("date", s.date().toString()))
                .toList()));
    json.put(
        "purpose",
        new JsonObject()
            .put("problem", a.purpose().problem())
            .put("resolves", a.purpose().resolves())
            .put("benefit", a.purpose().benefit()));
    json.put("localPurposes", new JsonObject(Map.copyOf(a.localPurposes())));
    json.put(
        "lawfulBasis",
        new JsonObject()
            .put("article6", a.lawfulBasis().article6())
            .put("article9", a.lawfulBasis().article9())
            .put("commonLaw", a.lawfulBasis().commonLaw().code()));
    json.put(
        "sensitive", new JsonArray(a.sensitive().stream().map(c -> c.code()).sorted().toList()));
    json.put("obligations", obligations(a.obligations()));
    json.put(
        "consent",
        new JsonObject()
            .put("rule", lower(a.consent().rule()).replace('_', '-'))
            .put("issuers", codes(a.consent().trustedIssuers())));
    json.put("nationalOptOut", a.optOutApplies() ? "applied" : "not-applied");
    json.put("tracing", a.tracingPermitted() ? "permitted" : "not-permitted");
    json.put("restrictedRecords", a.releasesRestricted() ? "release" : "withhold");
    json.put("emergencyAllowed", a.emergencyAllowed());
    json.put(
        "relationship",
        new JsonObject()
            .put("required", a.relationship().required())
            .put(
                "accepted",
                new JsonArray(
                    a.relationship().accepted().stream().map(k -> k.code()).sorted().toList()))
            .put("selfClaim", a.relationship().selfClaimAllowed() ? "allowed" : "refused"));
    a.pilot()
        .ifPresent(
            p ->
                json.put(
                    "pilot",
                    new JsonObject()
                        .put("cohortSize", p.cohort().size())
                        .put(
                            "postcodeDistricts",
                            new JsonArray(p.postcodeDistricts().stream().sorted().toList()))
                        .put(
                            "dailyVolume",
                            a.dailyVolume().isPresent() ? a.dailyVolume().getAsInt() : null)
                        .put("monitorOnly", p.monitorOnly())));
    // Absent: the agreement releases no one but the person asked about.
    json.put(
        "family",
        a.family()
            .map(
                f ->
                    new JsonObject()
                        .put(
                            "relationships",
                            new JsonArray(
                                f.relationships().stream().map(r -> r.code()).sorted().toList()))
                        .put(
                            "resourceTypes",
                            new JsonArray(f.resourceTypes().stream().sorted().toList()))
                        .put(
                            "purposesOfUse",
                            new JsonArray(
                                f.purposesOfUse().stream().map(p -> p.code()).sorted().toList())))
            .orElse(null));
    json.put("auditRetentionYears", a.auditRetentionYears());
    json.put("businessCase", BusinessCaseText.json(a));
    return json;
  }

  static JsonObject decision(Decision d) {
    return new JsonObject()
        .put("provider", d.provider().value())
        .put("effect", lower(d.effect()))
        .put("agreement", d.agreement().map(Agreement::reference).orElse(null))
        .put("agreementSha256", d.agreement().map(Agreement::sha256).orElse(null))
        .put("monitored", d.monitored())
        .put("reviewRequired", d.reviewRequired())
        .put("refusals", new JsonArray(d.refusals().stream().map(r -> lower(r)).sorted().toList()))
        .put("reasons", new JsonArray(d.reasons()))
        .put("obligations", d.permitted() ? obligations(d.obligations()) : null);
  }

  private static JsonObject obligations(Obligations o) {
    JsonObject generalise = new JsonObject();
    o.generalise().forEach((element, g) -> generalise.put(element, g.code()));
    return new JsonObject()
        .put("resourceTypes", new JsonArray(o.resourceTypes().stream().sorted().toList()))
        .put("remove", new JsonArray(o.remove().stream().sorted().toList()))
        .put("generalise", generalise)
        .put("pseudonymise", o.pseudonymKey().isPresent())
        .put("otherPeople", o.otherPeople() ? "release" : "withhold")
        .put("confidentiality", o.confidentiality().orElse(null))
        .put("sensitiveCodeListVersion", o.codeListVersion())
        .put("sensitiveCodesExcluded", o.excludedCodes().size());
  }

  private static JsonArray codes(Collection<OdsCode> codes) {
    return new JsonArray(codes.stream().map(OdsCode::value).sorted().toList());
  }

  private static JsonArray recipients(Map<OdsCode, Set<String>> recipients) {
    JsonArray array = new JsonArray();
    recipients.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(Comparator.comparing(OdsCode::value)))
        .forEach(
            e ->
                array.add(
                    new JsonObject()
                        .put("organisation", e.getKey().value())
                        .put("roles", new JsonArray(e.getValue().stream().sorted().toList()))));
    return array;
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
