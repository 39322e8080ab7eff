package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.identity.Certificates;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.TrustedIssuer;
import picocli.CommandLine;

/** {@code keygen} and {@code consent issue}, as an operator setting up from nothing runs them. */
class KeygenCommandTest {

  @TempDir Path dir;

  private int run(String... args) {
    CommandLine cli = new CommandLine(new Ops());
    cli.setErr(new PrintWriter(new StringWriter()));
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setExecutionExceptionHandler((e, command, parsed) -> 1);
    return cli.execute(args);
  }

  @Test
  void keygen_makesAKeyPairWithItsJwks_andNeverOverwrites() throws Exception {
    assertThat(run("keygen", "key", "--out", dir.toString(), "--name", "gp-consent")).isZero();

    JWKSet jwks = JWKSet.load(dir.resolve("gp-consent.jwks.json").toFile());
    assertThat(jwks.getKeys()).hasSize(1);
    assertThat(jwks.getKeys().get(0).isPrivate()).isFalse();
    assertThat(dir.resolve("gp-consent.key.pem")).exists();
    String before = Files.readString(dir.resolve("gp-consent.key.pem"));
    assertThat(run("keygen", "key", "--out", dir.toString(), "--name", "gp-consent")).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("gp-consent.key.pem"))).isEqualTo(before);
  }

  @Test
  void keygen_note_writesASignedNoteKeyOwnerOnly_andItsVerifierKey() throws Exception {
    assertThat(
            run("keygen", "note", "--out", dir.toString(), "--origin", "gw.example/coventry/audit"))
        .isZero();

    org.placeshare.gateway.audit.NoteSigner key =
        org.placeshare.gateway.audit.NoteSigner.parse(
            Files.readString(dir.resolve("audit-note.key")));
    org.placeshare.gateway.audit.NoteVerifierKey vkey =
        org.placeshare.gateway.audit.NoteVerifierKey.parse(
            Files.readString(dir.resolve("audit-note.vkey")).strip());
    assertThat(vkey).isEqualTo(key.verifierKey());
    assertThat(vkey.name()).isEqualTo("gw.example/coventry/audit");
    org.placeshare.gateway.audit.NoteCheckpoint.verify(
        org.placeshare.gateway.audit.NoteCheckpoint.sign(key, 3, new byte[32]).note(), vkey);
    assertThat(Files.getPosixFilePermissions(dir.resolve("audit-note.key")))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    assertThat(
            run("keygen", "note", "--out", dir.toString(), "--origin", "gw.example/coventry/audit"))
        .isEqualTo(1);
  }

  @Test
  void keygen_secret_writes32RandomBytesOwnerOnly() throws Exception {
    Path file = dir.resolve("pseudonym.key");
    assertThat(run("keygen", "secret", "--out", file.toString())).isZero();

    byte[] secret = com.nimbusds.jose.util.Base64URL.from(Files.readString(file).strip()).decode();
    assertThat(secret).hasSize(32);
    assertThat(new org.placeshare.fhir.Pseudonyms(secret).of("a", "s", "v")).hasSize(22);
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    assertThat(run("keygen", "secret", "--out", file.toString())).isEqualTo(1);
  }

  @Test
  void keygen_makesACaAndTheCertificatesItSigns() throws Exception {
    String out = dir.toString();
    String ca = dir.resolve("ca").toString();
    assertThat(run("keygen", "ca", "--out", out)).isZero();
    assertThat(
            run(
                "keygen",
                "server",
                "--ca",
                ca,
                "--out",
                out,
                "--host",
                "gateway.example.nhs.uk",
                "--host",
                "10.0.0.5"))
        .isZero();
    assertThat(run("keygen", "client", "--ca", ca, "--out", out, "--client", "council-intel"))
        .isZero();

    var authority = Certificates.readPem(dir.resolve("ca.crt.pem"), dir.resolve("ca.key.pem"));
    var server =
        Certificates.readPem(dir.resolve("gateway.crt.pem"), dir.resolve("gateway.key.pem"));
    var client =
        Certificates.readPem(
            dir.resolve("council-intel.crt.pem"), dir.resolve("council-intel.key.pem"));
    server.certificate().verify(authority.certificate().getPublicKey());
    client.certificate().verify(authority.certificate().getPublicKey());
    assertThat(authority.certificate().getBasicConstraints()).isZero();
    assertThat(server.certificate().getSubjectAlternativeNames())
        .extracting(n -> (Object) n.get(1))
        .containsExactly((Object) "gateway.example.nhs.uk", "10.0.0.5");
    assertThat(server.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(client.certificate().getSubjectX500Principal().getName())
        .contains("CN=council-intel");
    assertThat(client.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(Files.getPosixFilePermissions(dir.resolve("ca.key.pem")))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void consentIssue_printsATokenTheIssuersJwksVerifies() throws Exception {
    run("keygen", "key", "--out", dir.toString(), "--name", "gp");
    StringWriter printed = new StringWriter();
    CommandLine cli = new CommandLine(new Ops());
    cli.setOut(new PrintWriter(printed));
    int status =
        cli.execute(
            "consent",
            "issue",
            "--key",
            dir.resolve("gp.key.pem").toString(),
            "--issuer",
            "Y90001",
            "--patient",
            "9990000018",
            "--recipient",
            "R9A",
            "--purpose",
            "TREAT",
            "--id",
            "c-cli");
    assertThat(status).isZero();
    TrustedIssuer gp =
        TrustedIssuer.of(
            OdsCode.of("Y90001"),
            Set.of(JWSAlgorithm.ES256),
            JWKSet.load(dir.resolve("gp.jwks.json").toFile()));
    var consent =
        new ConsentTokens(code -> Optional.of(gp), Clock.systemUTC())
            .verify(printed.toString().strip())
            .consent();
    assertThat(consent.id()).isEqualTo("c-cli");
    assertThat(consent.patient().toString()).isEqualTo("9990000018");
    assertThat(consent.recipients()).containsExactly(OdsCode.of("R9A"));
    assertThat(consent.method().code()).isEqualTo("verbal");
  }
}
