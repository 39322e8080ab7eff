package org.placeshare.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.gateway.audit.Checkpoint;
import org.placeshare.gateway.audit.NoteCheckpoint;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.policy.identity.SigningKey;

/**
 * The log's checkpoint as a C2SP tlog-checkpoint signed note at {@code GET /audit/checkpoint}:
 * public, text/plain, signed with the configured Ed25519 note key, and the same tree head as the
 * JWS form at {@code /audit/checkpoint.json}.
 */
class AuditCheckpointNoteTest {

  @TempDir static Path dir;
  static GatewayFixture fixture;
  static NoteVerifierKey verifierKey;

  @BeforeAll
  static void start() throws Exception {
    fixture =
        GatewayFixture.start(
            dir.resolve("gw"),
            TestPostgres.freshDatabase(),
            SigningKey.generate(),
            config -> {
              NoteSigner key = NoteSigner.generate(config.auditNoteOrigin(), new SecureRandom());
              verifierKey = key.verifierKey();
              Path file = dir.resolve("audit-note.key");
              try {
                Files.writeString(file, key.encoded());
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              return config.withAuditNoteKey(file);
            });
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void checkpoint_isAPublicSignedNote_matchingTheJwsCheckpoint() throws Exception {
    String ig = fixture.token(GatewayFixture.IG_CLIENT, "ig-lead", "HOPERAT");
    fixture.everything(fixture.people.get(0).nhsNumber().toString(), ig);
    fixture.gateway.auditTree().checkpoint().await();

    HttpResponse<String> response = fixture.get("/audit/checkpoint");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    NoteCheckpoint note = NoteCheckpoint.verify(response.body(), verifierKey);
    assertThat(note.origin()).isEqualTo("gateway.placeshare.test/audit");
    assertThat(response.body()).startsWith("gateway.placeshare.test/audit\n" + note.size() + "\n");

    ECKey auditKey = SigningKey.readPublicPem(dir.resolve("gw/audit.pub.pem"));
    JsonObject json = new JsonObject(fixture.get("/audit/checkpoint.json", ig).body());
    Checkpoint jws = Checkpoint.verify(json.getString("signed"), auditKey);
    assertThat(jws.size()).isEqualTo(note.size());
    assertThat(jws.root()).isEqualTo(note.root());
  }

  @Test
  void checkpoint_doesNotVerifyWithAnotherKeyOfTheSameName() throws Exception {
    fixture.gateway.auditTree().checkpoint().await();
    String body = fixture.get("/audit/checkpoint").body();
    NoteVerifierKey other =
        NoteSigner.generate(verifierKey.name(), new SecureRandom()).verifierKey();
    assertThatThrownBy(() -> NoteCheckpoint.verify(body, other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no signature by a known key");
  }

  @Test
  void auditNoteKey_aWitnesssCosignerKey_isRefusedAtStart() {
    // Named right but of type 0x04: it would start a gateway that then signs no checkpoint.
    assertThatThrownBy(
            () ->
                GatewayFixture.start(
                    dir.resolve("gw-cosigner"),
                    TestPostgres.freshDatabase(),
                    SigningKey.generate(),
                    config -> {
                      Path file = dir.resolve("cosigner-as-note.key");
                      try {
                        Files.writeString(
                            file,
                            NoteSigner.generateCosigner(
                                    config.auditNoteOrigin(), new SecureRandom())
                                .encoded());
                      } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                      return config.withAuditNoteKey(file);
                    }))
        .hasMessageContaining("a witness's cosigning key (type 0x04), not a log's note key");
  }

  @Test
  void checkpointJson_stillNeedsAToken() throws Exception {
    assertThat(fixture.get("/audit/checkpoint.json").statusCode()).isEqualTo(401);
  }
}
