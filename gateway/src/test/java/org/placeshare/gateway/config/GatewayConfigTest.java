package org.placeshare.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration's consent, trust, opt-out and TLS settings: read, resolved and checked. */
class GatewayConfigTest {

  @TempDir Path dir;

  private static final String BASE =
      """
      host: 127.0.0.1
      port: 0
      dataDir: data
      signingKey: keys/gateway.key.pem
      agreements: agreements
      organisations:
        - {code: Y90001, name: GP}
        - {code: R9A, name: Trust}
      """;

  private Path write(String extra) throws Exception {
    Path file = dir.resolve("gateway.yaml");
    Files.writeString(file, BASE + extra);
    return file;
  }

  @Test
  void load_readsIssuersOptOutsAndTls_resolvingPathsFromTheFile() throws Exception {
    GatewayConfig config =
        GatewayConfig.load(
            write(
                """
                consentKey: keys/consent.key.pem
                consentIssuers:
                  - {organisation: Y90001, jwks: keys/y90001.jwks.json}
                  - {organisation: R9A, viaGateway: true, algorithms: [ES256, ES384]}
                nationalOptOuts: register/opt-outs.txt
                tls: {certificate: certs/gw.crt.pem, privateKey: certs/gw.key.pem, clientCa: certs/ca.crt.pem}
                """));

    assertThat(config.consentIssuers()).hasSize(2);
    assertThat(config.consentIssuers().get(0).jwks())
        .hasValue(dir.resolve("keys/y90001.jwks.json"));
    assertThat(config.consentIssuers().get(0).algorithms()).containsExactly("ES256");
    assertThat(config.consentIssuers().get(1).viaGateway()).isTrue();
    assertThat(config.nationalOptOuts()).hasValue(dir.resolve("register/opt-outs.txt"));
    assertThat(config.mutualTls()).isTrue();
  }

  @Test
  void load_clientWithoutRoles_failsSayingWhichClientAndWhatIsExpected() throws Exception {
    Path file =
        write(
            """
            clients:
              - {id: coventry-ae, organisation: R9A, publicKey: keys/ae.pub.pem, purposes: [TREAT]}
            """);

    assertThatThrownBy(() -> GatewayConfig.load(file))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessage(
            file
                + ":\nclients[coventry-ae].roles: expected the roles this client may vouch for,"
                + " e.g. roles: [clinician], got none");
  }

  @Test
  void load_clientNotificationHosts_areReadAndCheckedForForm() throws Exception {
    GatewayConfig config =
        GatewayConfig.load(
            write(
                """
                clients:
                  - {id: council, organisation: R9A, publicKey: k.pem, purposes: [HOPERAT], roles: [subscriber], notificationHosts: [receiver.council.example, 10.0.0.7]}
                """));
    Path withPort =
        write(
            """
            clients:
              - {id: council, organisation: R9A, publicKey: k.pem, purposes: [HOPERAT], roles: [subscriber], notificationHosts: ["https://receiver.council.example:8443"]}
            """);

    assertThat(config.clients().get(0).notificationHosts())
        .containsExactlyInAnyOrder("receiver.council.example", "10.0.0.7");
    assertThatThrownBy(() -> GatewayConfig.load(withPort))
        .hasMessageContaining(
            "clients[council].notificationHosts: expected lower-case host names such as"
                + " receiver.council.example (no scheme, port or path), got"
                + " https://receiver.council.example:8443");
  }

  @Test
  void load_clientRoles_areReadAndCheckedForForm() throws Exception {
    GatewayConfig config =
        GatewayConfig.load(
            write(
                """
                clients:
                  - {id: ig-console, organisation: R9A, publicKey: k.pem, purposes: [HOPERAT], roles: [ig-lead]}
                """));
    Path badRole =
        write(
            """
            clients:
              - {id: ig-console, organisation: R9A, publicKey: k.pem, purposes: [HOPERAT], roles: [IG Lead]}
            """);

    assertThat(config.clients().get(0).roles()).containsExactly("ig-lead");
    assertThatThrownBy(() -> GatewayConfig.load(badRole))
        .hasMessageContaining(
            "clients[ig-console].roles: expected lower-case role names such as clinician, got IG"
                + " Lead");
  }

  @Test
  void cohorts_defaultUnderTheDataFolder_andAreCheckedWhenSet() throws Exception {
    GatewayConfig defaults = GatewayConfig.load(write(""));
    GatewayConfig set =
        GatewayConfig.load(
            write(
                "cohorts: {maxMembers: 500, concurrency: 2, keepHours: 2, directory: shared/x}\n"));

    assertThat(defaults.cohorts()).isEqualTo(GatewayConfig.Cohorts.defaults(defaults.dataDir()));
    assertThat(defaults.cohorts().directory()).isEqualTo(defaults.dataDir().resolve("exports"));
    assertThat(set.cohorts().maxMembers()).isEqualTo(500);
    assertThat(set.cohorts().concurrency()).isEqualTo(2);
    assertThat(set.cohorts().keep()).isEqualTo(java.time.Duration.ofHours(2));
    assertThat(set.cohorts().directory()).isEqualTo(dir.resolve("shared/x"));
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write("cohorts: {concurrency: 0, suppressBelow: 1, maxJobsPerClient: 500}\n")))
        .hasMessageContaining("cohorts.concurrency: expected 1 to 256, got 0")
        .hasMessageContaining("cohorts.suppressBelow: expected 2 to 1000, got 1")
        .hasMessageContaining("cohorts.maxJobsPerClient: expected 1 to 100, got 500");
  }

  @Test
  void cohortsStore_theFolderByDefault_theDatabaseWhenSet_andStrict() throws Exception {
    GatewayConfig folder = GatewayConfig.load(write("cohorts: {directory: shared/x}\n"));
    GatewayConfig database = GatewayConfig.load(write("cohorts: {store: database}\n"));

    assertThat(folder.cohorts().store()).isEqualTo(GatewayConfig.Cohorts.FileStore.FOLDER);
    assertThat(database.cohorts().store()).isEqualTo(GatewayConfig.Cohorts.FileStore.DATABASE);
    assertThat(
            GatewayConfig.load(
                    write("cohorts: {keepHours: 2}\n"),
                    java.util.Map.of("PLACESHARE_COHORTS_STORE", "database"))
                .cohorts())
        .extracting(GatewayConfig.Cohorts::store, GatewayConfig.Cohorts::keep)
        .containsExactly(GatewayConfig.Cohorts.FileStore.DATABASE, java.time.Duration.ofHours(2));
    assertThatThrownBy(() -> GatewayConfig.load(write("cohorts: {store: s3}\n")))
        .hasMessageContaining("cohorts.store: expected folder or database, got s3");
    // Files in the database and in a folder at once: one of them is a mistake.
    assertThatThrownBy(
            () -> GatewayConfig.load(write("cohorts: {store: database, directory: shared/x}\n")))
        .hasMessageContaining(
            "cohorts.directory: the files are in the database (store: database); remove it");
  }

  @Test
  void management_onLoopbackByDefault_setOrOverridden_andNeverOnThePublicPort() throws Exception {
    assertThat(GatewayConfig.load(write("")).management())
        .isEqualTo(new GatewayConfig.Management("127.0.0.1", 9464));
    assertThat(GatewayConfig.load(write("management: {host: 10.0.0.5, port: 9100}\n")).management())
        .isEqualTo(new GatewayConfig.Management("10.0.0.5", 9100));
    assertThat(
            GatewayConfig.load(write(""), java.util.Map.of("PLACESHARE_MANAGEMENT_PORT", "0"))
                .management()
                .port())
        .isZero();
    assertThatThrownBy(() -> GatewayConfig.load(write("management: {port: 70000}\n")))
        .hasMessageContaining("management.port: expected 0 to 65535, got 70000");
    assertThatThrownBy(
            () -> GatewayConfig.load(write(""), java.util.Map.of("PLACESHARE_PORT", "9464")))
        .hasMessageContaining(
            "management.port: expected another port than the public listener's, got 9464");
  }

  @Test
  void load_listsEveryConsentProblem() throws Exception {
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write(
                        """
                        consentIssuers:
                          - {organisation: Y90001, jwksUrl: "http://keys.example/jwks"}
                          - {organisation: R9A, viaGateway: true}
                          - {organisation: Y99999, jwks: a.json, jwksUrl: "https://b.example/jwks"}
                          - {organisation: Y90001}
                        """)))
        .isInstanceOf(GatewayConfig.ConfigException.class)
        .hasMessageContaining(
            "consentIssuers[Y90001].jwksUrl: expected an https URL, got http://keys.example/jwks")
        .hasMessageContaining(
            "consentKey: expected a key file when an issuer has viaGateway: true, got none")
        .hasMessageContaining("consentIssuers[Y99999]: expected jwks or jwksUrl, not both")
        .hasMessageContaining(
            "consentIssuers[Y99999].organisation: expected an organisation listed under organisations")
        .hasMessageContaining("consentIssuers[Y90001]: expected each organisation once")
        .hasMessageContaining(
            "consentIssuers[Y90001]: expected jwks (a file), jwksUrl (https) or viaGateway: true");
  }

  @Test
  void load_checksSourceKindsMappingsAndCredentials() throws Exception {
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write(
                        """
                        sources:
                          - {id: asc, organisation: R9A, baseUrl: "http://x", kind: mapped}
                          - {id: odd, organisation: R9A, baseUrl: "http://y", kind: soap}
                          - {id: tls, organisation: R9A, baseUrl: "https://z", certificate: c.pem}
                        """)))
        .hasMessageContaining(
            "sources[asc].mapping: expected a mapping file for a mapped source, got nothing")
        .hasMessageContaining("sources[odd].kind: expected fhir or mapped, got soap")
        .hasMessageContaining("sources[tls]: expected certificate and privateKey together");
  }

  @Test
  void referenceIndex_absentByDefault_readWhenSet() throws Exception {
    assertThat(GatewayConfig.load(write("")).referenceIndex()).isEmpty();
    GatewayConfig.ReferenceIndexConfig index =
        GatewayConfig.load(
                write(
                    "referenceIndex: {baseUrl: \"https://pds.example/fhir/\", deadlineMillis: 2500,"
                        + " bearerTokenFile: secrets/pds-token}\n"))
            .referenceIndex()
            .orElseThrow();

    assertThat(index.baseUrl()).hasToString("https://pds.example/fhir");
    assertThat(index.deadline()).isEqualTo(java.time.Duration.ofMillis(2500));
    assertThat(index.bearerTokenFile()).contains(dir.resolve("secrets/pds-token"));
  }

  @Test
  void referenceIndex_badSettings_areEachRefused() throws Exception {
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write(
                        "referenceIndex: {baseUrl: \"ftp://pds.example\", deadlineMillis: 0,"
                            + " certificate: c.pem}\n")))
        .hasMessageContaining(
            "referenceIndex.baseUrl: expected an http or https URL with a host and no query or"
                + " credentials, got ftp://pds.example")
        .hasMessageContaining("referenceIndex.deadlineMillis: expected 1 to 60000, got 0")
        .hasMessageContaining("referenceIndex: expected certificate and privateKey together");
    assertThatThrownBy(() -> GatewayConfig.load(write("referenceIndex: {deadlineMillis: 10}\n")))
        .hasMessageContaining("referenceIndex.baseUrl: expected the index's FHIR base URL");
    assertThatThrownBy(
            () -> GatewayConfig.load(write("referenceIndex: {baseUrl: \"http://x\", url: y}\n")))
        .hasMessageContaining("url");
  }

  @Test
  void plainHttp_isRefusedOffLoopback() throws Exception {
    Path file = write("");
    String yaml = Files.readString(file).replace("host: 127.0.0.1", "host: 0.0.0.0");
    Files.writeString(file, yaml);

    assertThatThrownBy(() -> GatewayConfig.load(file, java.util.Map.of()))
        .hasMessageContaining(
            "tls: expected a certificate and privateKey when host is 0.0.0.0; plain HTTP is served"
                + " only on loopback");
  }

  @Test
  void environmentOverrides_andASecretFile_replaceTheFilesValues() throws Exception {
    Files.writeString(dir.resolve("db.secret"), "postgresql://app:s3cret@db.internal/placeshare\n");
    Path file = write("databaseUrlFile: db.secret\n");

    GatewayConfig fromFile = GatewayConfig.load(file, java.util.Map.of());
    GatewayConfig overridden =
        GatewayConfig.load(
            file,
            java.util.Map.of(
                "PLACESHARE_PORT",
                "9443",
                "PLACESHARE_PUBLIC_URL",
                "https://gw.example.nhs.uk",
                "PLACESHARE_CLIENT_REQUESTS_PER_MINUTE",
                "1200"));

    assertThat(fromFile.databaseUrl()).hasValue("postgresql://app:s3cret@db.internal/placeshare");
    assertThat(overridden.port()).isEqualTo(9443);
    assertThat(overridden.publicUrl()).isEqualTo("https://gw.example.nhs.uk");
    assertThat(overridden.clientRequestsPerMinute()).isEqualTo(1200);
    assertThatThrownBy(() -> GatewayConfig.load(file, java.util.Map.of("PLACESHARE_PORT", "x")))
        .hasMessageContaining("expected a whole number");
  }

  @Test
  void clientsFile_isReadFromItsOwnFolder_andReloadsFromThere() throws Exception {
    Files.createDirectories(dir.resolve("registry"));
    Path clients = dir.resolve("registry/clients.yaml");
    Files.writeString(
        clients,
        """
        clients:
          - {id: coventry-ae, organisation: R9A, publicKey: ae.pub.pem, purposes: [TREAT], roles: [clinician]}
          - {id: gp, organisation: Y90001, publicKey: gp.pub.pem, purposes: [TREAT], roles: [clinician], status: suspended}
        """);

    GatewayConfig config = GatewayConfig.load(write("clientsFile: registry/clients.yaml\n"));

    assertThat(config.clients())
        .extracting(GatewayConfig.Client::status)
        .containsExactly("active", "suspended");
    assertThat(config.clients().get(0).publicKey()).isEqualTo(dir.resolve("registry/ae.pub.pem"));
    assertThat(config.clientsFile())
        .hasValue(new GatewayConfig.ClientsFile(dir.resolve("registry/clients.yaml"), false));
    assertThat(
            GatewayConfig.reloadClients(
                config.clientsFile().orElseThrow(), java.util.Set.of("R9A", "Y90001")))
        .hasSize(2);
  }

  @Test
  void clientsFile_withAnUnknownOrganisationOrStatus_orBesideInlineClients_isRefused()
      throws Exception {
    Path clients = dir.resolve("clients.yaml");
    Files.writeString(
        clients,
        """
        clients:
          - {id: x, organisation: R9A, publicKey: x.pub.pem, purposes: [TREAT], roles: [clinician], status: paused}
        """);
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write(
                        """
                        clientsFile: clients.yaml
                        clients:
                          - {id: y, organisation: R9A, publicKey: y.pub.pem, purposes: [TREAT], roles: [clinician]}
                        """)))
        .hasMessageContaining("clients: expected the clients inline or a clientsFile, not both");
    assertThatThrownBy(() -> GatewayConfig.load(write("clientsFile: clients.yaml\n")))
        .hasMessageContaining("clients[x].status: expected active or suspended, got paused");
    Files.writeString(
        clients,
        """
        clients:
          - {id: x, organisation: QWU, publicKey: x.pub.pem, purposes: [TREAT], roles: [clinician]}
        """);
    assertThatThrownBy(
            () ->
                GatewayConfig.reloadClients(
                    new GatewayConfig.ClientsFile(clients, false), java.util.Set.of("R9A")))
        .hasMessageContaining(
            "clients[x].organisation: expected an organisation listed under organisations, got QWU");
  }

  @Test
  void linkage_syncEveryFifteenMinutesByDefault_setWithinADay_andStrict() throws Exception {
    assertThat(GatewayConfig.load(write("")).linkage().syncEvery())
        .isEqualTo(java.time.Duration.ofMinutes(15));
    assertThat(GatewayConfig.load(write("linkage: {syncMinutes: 5}\n")).linkage().syncEvery())
        .isEqualTo(java.time.Duration.ofMinutes(5));
    assertThatThrownBy(() -> GatewayConfig.load(write("linkage: {syncMinutes: 0}\n")))
        .hasMessageContaining("linkage.syncMinutes: expected 1 to 1440, got 0");
    assertThatThrownBy(() -> GatewayConfig.load(write("linkage: {syncMinutes: 2000}\n")))
        .hasMessageContaining("linkage.syncMinutes: expected 1 to 1440, got 2000");
    assertThatThrownBy(() -> GatewayConfig.load(write("linkage: {syncSeconds: 5}\n")))
        .hasMessageContaining("unknown key 'syncSeconds'");
  }

  @Test
  void notifications_defaultTimingsUnlessSet_boundedAndStrict() throws Exception {
    assertThat(GatewayConfig.load(write("")).notifications())
        .isEqualTo(org.placeshare.gateway.notify.DeliveryWorker.Settings.DEFAULTS);
    var set =
        GatewayConfig.load(
                write(
                    "notifications: {pollMillis: 100, batch: 5, leaseMillis: 3000,"
                        + " deadlineMillis: 1000, retryBaseMillis: 200, retryCapMillis: 1000,"
                        + " maxAttempts: 4}\n"))
            .notifications();
    assertThat(set.pollEvery()).isEqualTo(java.time.Duration.ofMillis(100));
    assertThat(set.batch()).isEqualTo(5);
    assertThat(set.lease()).isEqualTo(java.time.Duration.ofSeconds(3));
    assertThat(set.deadline()).isEqualTo(java.time.Duration.ofSeconds(1));
    assertThat(set.retryBase()).isEqualTo(java.time.Duration.ofMillis(200));
    assertThat(set.retryCap()).isEqualTo(java.time.Duration.ofSeconds(1));
    assertThat(set.maxAttempts()).isEqualTo(4);
    // A lease shorter than two deadlines would let a second instance send while the first waits.
    assertThatThrownBy(
            () ->
                GatewayConfig.load(
                    write("notifications: {deadlineMillis: 10000, leaseMillis: 15000}\n")))
        .hasMessageContaining("notifications.leaseMillis: expected 20000 to 86400000, got 15000");
    assertThatThrownBy(() -> GatewayConfig.load(write("notifications: {maxAttempts: 0}\n")))
        .hasMessageContaining("notifications.maxAttempts: expected 1 to 100, got 0");
    assertThatThrownBy(() -> GatewayConfig.load(write("notifications: {retrySeconds: 5}\n")))
        .hasMessageContaining("unknown key 'retrySeconds'");
  }
}
