package org.placeshare.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.placeshare.policy.identity.JwsVerifiers;
import org.placeshare.policy.identity.SigningKey;

class PolicyFolderTest {

  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);
  private static final SigningKey IG = SigningKey.generate();

  @TempDir Path folder;
  private Path good;

  @BeforeEach
  void writeAgreements() throws IOException {
    good = folder.resolve("coventry-direct-care.yaml");
    Files.writeString(good, AgreementFileTest.good());
    Files.writeString(folder.resolve("council.yml"), AgreementFileTest.council());
  }

  private static PolicyFolder.Options signed() {
    return new PolicyFolder.Options(
        Optional.empty(), List.of(IG.publicJwk()), true, JwsVerifiers.factory());
  }

  private void sign(Path file, SigningKey key) throws IOException {
    Files.writeString(
        file.resolveSibling(file.getFileName() + PolicyFolder.SIGNATURE_SUFFIX),
        key.signDetached(AgreementSignatures.TYPE, Files.readAllBytes(file)));
  }

  @Test
  void load_folder_readsYamlAndYmlAndIgnoresHiddenAndOtherFiles() throws IOException {
    Files.writeString(folder.resolve(".#coventry-direct-care.yaml"), "not: yaml: at all");
    Files.writeString(folder.resolve("README.txt"), "notes");

    PolicyFolder.Loaded loaded = PolicyFolder.load(folder, PolicyFolder.Options.LENIENT, TODAY);

    assertThat(loaded.set().agreements())
        .extracting(Agreement::id)
        .containsExactly("coventry-direct-care", "gm-connect-council-intelligence");
    assertThat(loaded.fingerprint()).hasSize(64);
  }

  @Test
  void load_twoBrokenFiles_listsBothAndLoadsNothing() throws IOException {
    Files.writeString(good, AgreementFileTest.good().replace("status: active", "status: live"));
    Files.writeString(
        folder.resolve("council.yml"),
        AgreementFileTest.council().replace("purposesOfUse: [HOPERAT]", "purposesOfUse: [NOPE]"));

    assertThatThrownBy(() -> PolicyFolder.load(folder, PolicyFolder.Options.LENIENT, TODAY))
        .hasMessageContaining("coventry-direct-care.yaml:9:9: status:")
        .hasMessageContaining("council.yml:44:17: purposesOfUse:");
  }

  @Test
  void load_changedFile_changesTheFingerprint() throws IOException {
    String before = PolicyFolder.load(folder, PolicyFolder.Options.LENIENT, TODAY).fingerprint();
    Files.writeString(good, AgreementFileTest.good().replace("version: 1", "version: 2"));

    assertThat(PolicyFolder.load(folder, PolicyFolder.Options.LENIENT, TODAY).fingerprint())
        .isNotEqualTo(before);
  }

  @Test
  void load_signedFiles_loadWhenSignaturesAreRequired() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);

    assertThat(PolicyFolder.load(folder, signed(), TODAY).set().agreements()).hasSize(2);
  }

  @Test
  void load_unsignedFileWhenRequired_isRefused() throws IOException {
    sign(good, IG);

    assertThatThrownBy(() -> PolicyFolder.load(folder, signed(), TODAY))
        .hasMessage(
            "council.yml: expected a signature in council.yml.jws, got none (hint: sign approved files with 'ops policy sign')");
  }

  @Test
  void load_fileAlteredAfterSigning_isRefused() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);
    Files.writeString(good, AgreementFileTest.good().replace("[clinician]", "[clinician, porter]"));

    assertThatThrownBy(() -> PolicyFolder.load(folder, signed(), TODAY))
        .hasMessage(
            "coventry-direct-care.yaml: the signature does not match the file (changed since it was signed?)");
  }

  @Test
  void load_signatureByAnotherKey_isRefused() throws IOException {
    SigningKey stranger = SigningKey.generate();
    sign(good, stranger);
    sign(folder.resolve("council.yml"), IG);

    assertThatThrownBy(() -> PolicyFolder.load(folder, signed(), TODAY))
        .hasMessage(
            "coventry-direct-care.yaml: expected a signature by a trusted IG key, got key id "
                + stranger.keyId());
  }

  @Test
  void load_alteredSignedFileEvenWhenNotRequired_isRefused() throws IOException {
    sign(good, IG);
    Files.writeString(good, AgreementFileTest.good() + "\n# edited\n");
    var options =
        new PolicyFolder.Options(
            Optional.empty(), List.of(IG.publicJwk()), false, JwsVerifiers.factory());

    assertThatThrownBy(() -> PolicyFolder.load(folder, options, TODAY))
        .hasMessageContaining("the signature does not match the file");
  }

  @Test
  void load_garbageSignature_isRefused() throws IOException {
    sign(folder.resolve("council.yml"), IG);
    Files.writeString(folder.resolve("coventry-direct-care.yaml.jws"), "not-a-jws");

    assertThatThrownBy(() -> PolicyFolder.load(folder, signed(), TODAY))
        .hasMessage(
            "coventry-direct-care.yaml: expected a detached compact JWS, got one that does not parse");
  }

  @Test
  void load_signatureWithAnotherTyp_isRefused() throws Exception {
    // A plain JWT signed by a trusted key must not pass as an agreement signature.
    ECKey key = new ECKeyGenerator(Curve.P_256).keyIDFromThumbprint(true).generate();
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(JOSEObjectType.JWT)
                .keyID(key.getKeyID())
                .build(),
            new Payload(Files.readAllBytes(good)));
    jws.sign(new ECDSASigner(key));
    Files.writeString(folder.resolve("coventry-direct-care.yaml.jws"), jws.serialize(true));
    Files.delete(folder.resolve("council.yml"));
    var options =
        new PolicyFolder.Options(
            Optional.empty(), List.of(key.toPublicJWK()), true, JwsVerifiers.factory());

    assertThatThrownBy(() -> PolicyFolder.load(folder, options, TODAY))
        .hasMessage("coventry-direct-care.yaml: expected typ agreement+jws, got JWT");
  }

  @Test
  void reload_unchangedSignedFiles_keepTheAgreementsTheyGave() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);
    PolicyFolder.Loaded inForce = PolicyFolder.load(folder, signed(), TODAY);

    PolicyFolder.Loaded again = PolicyFolder.reload(folder, signed(), TODAY, inForce);

    assertThat(again.fingerprint()).isEqualTo(inForce.fingerprint());
    assertThat(again.set().agreements()).isEqualTo(inForce.set().agreements());
    // Not parsed again: the very agreements of the set in force.
    assertThat(again.set().agreements().get(0)).isSameAs(inForce.set().agreements().get(0));
  }

  @Test
  void reload_fileChangedUnderItsOldSignature_isVerifiedAgainAndRefused() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);
    PolicyFolder.Loaded inForce = PolicyFolder.load(folder, signed(), TODAY);
    // Same name, same size class, same signature file: only the bytes say it changed.
    Files.writeString(good, AgreementFileTest.good().replace("[clinician]", "[clinicia1]"));

    assertThatThrownBy(() -> PolicyFolder.reload(folder, signed(), TODAY, inForce))
        .hasMessage(
            "coventry-direct-care.yaml: the signature does not match the file (changed since it was signed?)");
  }

  @Test
  void reload_signatureReplacedOverUnchangedFile_isVerifiedAgainAndRefused() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);
    PolicyFolder.Loaded inForce = PolicyFolder.load(folder, signed(), TODAY);
    sign(good, SigningKey.generate());

    assertThatThrownBy(() -> PolicyFolder.reload(folder, signed(), TODAY, inForce))
        .hasMessageStartingWith(
            "coventry-direct-care.yaml: expected a signature by a trusted IG key");
  }

  @Test
  void reload_withOtherOptions_checksEveryFileAgain() throws IOException {
    sign(good, IG);
    sign(folder.resolve("council.yml"), IG);
    PolicyFolder.Loaded inForce = PolicyFolder.load(folder, signed(), TODAY);
    SigningKey newIg = SigningKey.generate();
    var onlyTheNewKey =
        new PolicyFolder.Options(
            Optional.empty(), List.of(newIg.publicJwk()), true, JwsVerifiers.factory());

    assertThatThrownBy(() -> PolicyFolder.reload(folder, onlyTheNewKey, TODAY, inForce))
        .hasMessageContaining("coventry-direct-care.yaml: expected a signature by a trusted IG key")
        .hasMessageContaining("council.yml: expected a signature by a trusted IG key");
  }

  @Test
  void reload_brokenFile_isRefusedAndAFixedOneLoadsAgain() throws IOException {
    PolicyFolder.Loaded inForce = PolicyFolder.load(folder, PolicyFolder.Options.LENIENT, TODAY);
    Files.writeString(good, AgreementFileTest.good().replace("status: active", "status: live"));

    assertThatThrownBy(
            () -> PolicyFolder.reload(folder, PolicyFolder.Options.LENIENT, TODAY, inForce))
        .hasMessageContaining("coventry-direct-care.yaml:9:9: status:");
    assertThat(inForce.set().agreements()).hasSize(2);

    Files.writeString(good, AgreementFileTest.good().replace("version: 1", "version: 2"));
    PolicyFolder.Loaded fixed =
        PolicyFolder.reload(folder, PolicyFolder.Options.LENIENT, TODAY, inForce);
    assertThat(fixed.set().find("coventry-direct-care").orElseThrow().version()).isEqualTo(2);
  }

  @Test
  void load_manyFiles_checkedOnSeveralThreads_giveTheSetAndProblemsInFileOrder()
      throws IOException {
    AgreementCorpus place = new AgreementCorpus(300, 22);
    Path many = folder.resolve("many");
    Files.createDirectories(many);
    for (int i = 0; i < place.size(); i++) {
      Files.write(many.resolve(AgreementCorpus.fileName(i)), place.file(i));
    }
    assertThat(place.size()).isGreaterThan(PolicyFolder.PARALLEL_FROM);

    PolicyFolder.Loaded loaded = PolicyFolder.load(many, PolicyFolder.Options.LENIENT, TODAY);
    assertThat(loaded.set().agreements()).isEqualTo(PolicySet.of(place.agreements()).agreements());

    // Two broken files far apart: both reported, in file order, and nothing loads.
    Files.writeString(many.resolve(AgreementCorpus.fileName(250)), "id: [");
    Files.writeString(many.resolve(AgreementCorpus.fileName(7)), "id: [");
    assertThatThrownBy(() -> PolicyFolder.load(many, PolicyFolder.Options.LENIENT, TODAY))
        .satisfies(
            e -> {
              List<String> lines = e.getMessage().lines().toList();
              assertThat(lines).anyMatch(l -> l.startsWith(AgreementCorpus.fileName(7)));
              assertThat(lines).anyMatch(l -> l.startsWith(AgreementCorpus.fileName(250)));
              assertThat(lines.get(0)).startsWith(AgreementCorpus.fileName(7));
            });
  }

  @Test
  void load_missingFolder_isRefused() {
    Path missing = folder.resolve("nowhere");

    assertThatThrownBy(() -> PolicyFolder.load(missing, PolicyFolder.Options.LENIENT, TODAY))
        .hasMessage(missing + ": expected a folder of agreements, got nothing there");
  }
}
