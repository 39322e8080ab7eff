package org.placeshare.gateway.config;

import java.util.List;
import org.placeshare.gateway.config.GatewayConfig.Organisation;
import org.placeshare.gateway.config.RawConfig.RawClient;
import org.placeshare.gateway.config.RawConfig.RawCohorts;
import org.placeshare.gateway.config.RawConfig.RawConsentIssuer;
import org.placeshare.gateway.config.RawConfig.RawManagement;
import org.placeshare.gateway.config.RawConfig.RawSource;
import org.placeshare.gateway.config.RawConfig.RawTls;

/**
 * The configuration file's shape as YAML gives it: every value optional, so the loader can list
 * each missing one rather than fail on the first. Unknown keys are refused when it is read.
 */
record RawConfig(
    String host,
    Integer port,
    String publicUrl,
    String dataDir,
    String databaseUrl,
    String signingKey,
    String agreements,
    List<String> agreementSigners,
    Boolean agreementSignaturesRequired,
    Long policyPollMillis,
    List<Organisation> organisations,
    List<RawClient> clients,
    List<RawSource> sources,
    String consentKey,
    List<RawConsentIssuer> consentIssuers,
    String issuerTrustCa,
    String nationalOptOuts,
    RawTls tls,
    String pseudonymKey,
    String auditKey,
    Integer maxConcurrentRequests,
    Integer clientRequestsPerMinute,
    RawCohorts cohorts,
    String clientsFile,
    RawManagement management,
    RawLinkage linkage,
    RawReferenceIndex referenceIndex,
    RawNotifications notifications,
    String auditNoteKey,
    RawWitnessing witnessing) {

  record RawWitnessing(
      List<RawWitness> witnesses, Integer quorum, String maxLag, Boolean failClosed) {}

  record RawWitness(String url, String key) {}

  record RawNotifications(
      Long pollMillis,
      Integer batch,
      Long leaseMillis,
      Long deadlineMillis,
      Long retryBaseMillis,
      Long retryCapMillis,
      Integer maxAttempts) {}

  record RawLinkage(Integer syncMinutes) {}

  record RawReferenceIndex(
      String baseUrl,
      Long deadlineMillis,
      String bearerTokenFile,
      String trustCa,
      String certificate,
      String privateKey) {}

  /** A clients file: the registry alone, reloaded while the gateway runs. */
  record RawClientsFile(List<RawClient> clients) {}

  record RawManagement(String host, Integer port) {}

  record RawCohorts(
      Integer maxMembers,
      Integer concurrency,
      Long leaseSeconds,
      Long keepHours,
      Integer suppressBelow,
      Integer maxJobsPerClient,
      String directory,
      String store) {}

  record RawConsentIssuer(
      String organisation,
      String jwks,
      String jwksUrl,
      List<String> algorithms,
      Boolean viaGateway) {}

  record RawTls(String certificate, String privateKey, String clientCa, String clientCrl) {}

  record RawClient(
      String id,
      String organisation,
      String publicKey,
      List<String> purposes,
      List<String> roles,
      String status,
      List<String> notificationHosts,
      String jwks,
      String jwksUrl,
      String kind) {}

  record RawSource(
      String id,
      String organisation,
      String baseUrl,
      Long deadlineMillis,
      List<String> resourceTypes,
      String kind,
      String mapping,
      String bearerTokenFile,
      String trustCa,
      String certificate,
      String privateKey,
      List<String> holds) {}
}
