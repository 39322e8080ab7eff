package org.placeshare.gateway.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signed notes against Go's own test vectors (golang.org/x/mod/sumdb/note), byte for byte. */
class SignedNoteTest {

  static final String PETER_SKEY =
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  static final String PETER_VKEY =
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  static final String ENOCH_VKEY =
      "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
  static final String TEXT =
      "If you think cryptography is the answer to your problem,\n"
          + "then you don't know what your problem is.\n";
  static final String PETER_SIG =
      "\u2014 PeterNeumann"
          + " x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  static final String ENOCH_SIG =
      "\u2014 EnochRoot"
          + " rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

  @Test
  void sign_goVector_isByteForByteGosNote() {
    NoteSigner peter = NoteSigner.parse(PETER_SKEY);
    assertEquals(PETER_VKEY, peter.verifierKey().encoded());
    assertEquals(PETER_SKEY, peter.encoded());
    assertEquals(TEXT + "\n" + PETER_SIG, SignedNote.sign(TEXT, peter));
  }

  @Test
  void verifierKey_goVectors_parseAndKeyHashMatches() {
    NoteVerifierKey peter = NoteVerifierKey.parse(PETER_VKEY);
    assertEquals("PeterNeumann", peter.name());
    assertEquals(0xc74f20a3, peter.keyHash());
    assertEquals(PETER_VKEY, peter.encoded());
    assertEquals(0xaf0cfe78, NoteVerifierKey.parse(ENOCH_VKEY).keyHash());
  }

  @Test
  void verifierKey_mangled_isRefused() {
    // As Go's TestNewVerifier: every strict substring and every one-byte change is refused.
    byte[] b = PETER_VKEY.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i <= b.length; i++) {
      for (int j = i + 1; j <= b.length; j++) {
        if (i != 0 || j != b.length) {
          refused(new String(b, i, j - i, StandardCharsets.US_ASCII));
        }
      }
    }
    for (int i = 0; i < b.length; i++) {
      b[i]++;
      refused(new String(b, StandardCharsets.US_ASCII));
      b[i]--;
    }
    // Go's wrong-length key and unknown algorithm, each with a hash adjusted to match.
    refused("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==");
    refused("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  }

  private static void refused(String vkey) {
    assertThrows(IllegalArgumentException.class, () -> NoteVerifierKey.parse(vkey), vkey);
  }

  @Test
  void verifierKey_nameWithNextLine_isRefusedAsGoRefusesIt() {
    // U+0085 is white space to Go's unicode.IsSpace, not to Java's isWhitespace.
    assertThrows(
        IllegalArgumentException.class,
        () -> NoteVerifierKey.of("Peter\u0085Neumann", new byte[32]));
  }

  @Test
  void open_goVector_verifiesKnownAndKeepsUnknownUnverified() {
    NoteVerifierKey peter = NoteVerifierKey.parse(PETER_VKEY);
    NoteVerifierKey enoch = NoteVerifierKey.parse(ENOCH_VKEY);
    byte[] note = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).getBytes(StandardCharsets.UTF_8);

    SignedNote.Opened one = SignedNote.open(note, List.of(peter));
    assertEquals(TEXT, one.text());
    assertEquals(1, one.verified().size());
    assertEquals(1, one.unverified().size());
    assertEquals("EnochRoot", one.unverified().get(0).name());
    assertTrue(one.signedBy(peter));

    SignedNote.Opened both = SignedNote.open(note, List.of(peter, enoch));
    assertEquals(2, both.verified().size());
    assertTrue(both.signedBy(enoch));
  }

  @Test
  void open_goVector_alteredTextOrSignature_isRefused() {
    NoteVerifierKey peter = NoteVerifierKey.parse(PETER_VKEY);
    String altered = TEXT.replace("answer", "Answer") + "\n" + PETER_SIG;
    assertThrows(
        IllegalArgumentException.class,
        () -> SignedNote.open(altered.getBytes(StandardCharsets.UTF_8), List.of(peter)));
    String badSig = TEXT + "\n" + PETER_SIG.replace("x08go/ZJ", "x08go/ZK");
    assertThrows(
        IllegalArgumentException.class,
        () -> SignedNote.open(badSig.getBytes(StandardCharsets.UTF_8), List.of(peter)));
  }

  @Test
  void open_onlyUnknownSignatures_isRefused() {
    byte[] note = (TEXT + "\n" + ENOCH_SIG).getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SignedNote.open(note, List.of(NoteVerifierKey.parse(PETER_VKEY))));
    assertTrue(e.getMessage().contains("no signature by a known key"), e.getMessage());
  }

  @Test
  void open_malformed_isRefused() {
    List<NoteVerifierKey> peter = List.of(NoteVerifierKey.parse(PETER_VKEY));
    for (String bad :
        List.of(
            TEXT + PETER_SIG, // no blank line
            TEXT + "\n" + PETER_SIG.trim(), // last line unterminated
            TEXT + "\n" + PETER_SIG.replace("\u2014", "-"), // not an em dash
            TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG, // a control character
            TEXT + "\n" + "\u2014 Peter+Neumann AAAAAAAA\n", // '+' in the name
            // Unpadded base64 (Go's note refuses it): the same signature without its '='.
            TEXT + "\n" + PETER_SIG.replace("=\n", "\n"))) {
      assertThrows(
          IllegalArgumentException.class,
          () -> SignedNote.open(bad.getBytes(StandardCharsets.UTF_8), peter),
          bad);
    }
    byte[] notUtf8 = (TEXT + "\n" + PETER_SIG).getBytes(StandardCharsets.UTF_8);
    notUtf8[3] = (byte) 0xff;
    assertThrows(IllegalArgumentException.class, () -> SignedNote.open(notUtf8, peter));
  }

  @Test
  void checkpoint_signedByGo_verifiesHere() throws IOException {
    String note = resource("go-signed-checkpoint.note");
    NoteVerifierKey peter = NoteVerifierKey.parse(PETER_VKEY);
    SignedNote.Opened opened =
        SignedNote.open(note.getBytes(StandardCharsets.UTF_8), List.of(peter));
    NoteCheckpoint c = NoteCheckpoint.parse(opened.text(), note);
    assertEquals("audit.placeshare.example/vector", c.origin());
    assertEquals(123456789012L, c.size());
    assertArrayEquals(
        Base64.getDecoder().decode("TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="), c.root());
    // The checkpoint's origin is not this key's name: the checkpoint check refuses it.
    assertThrows(IllegalArgumentException.class, () -> NoteCheckpoint.verify(note, peter));
    // And Java signs the same body to the same bytes (Ed25519 is deterministic).
    assertEquals(note, SignedNote.sign(opened.text(), NoteSigner.parse(PETER_SKEY)));
  }

  @Test
  void checkpoint_signAndVerify_roundTripsAndRefusesAnotherKey() {
    NoteSigner log = NoteSigner.generate("audit.placeshare.example/test", new SecureRandom());
    byte[] root = new byte[32];
    root[0] = 7;
    NoteCheckpoint c = NoteCheckpoint.sign(log, 42, root);
    assertTrue(c.note().startsWith("audit.placeshare.example/test\n42\n"), c.note());
    NoteCheckpoint back = NoteCheckpoint.verify(c.note(), log.verifierKey());
    assertEquals(42, back.size());
    assertArrayEquals(root, back.root());
    assertEquals(log.verifierKey(), NoteSigner.parse(log.encoded()).verifierKey());

    NoteSigner other = NoteSigner.generate("audit.placeshare.example/test", new SecureRandom());
    assertThrows(
        IllegalArgumentException.class, () -> NoteCheckpoint.verify(c.note(), other.verifierKey()));
  }

  @Test
  void checkpoint_malformedBody_isRefused() {
    NoteSigner log = NoteSigner.generate("o", new SecureRandom());
    String root = Base64.getEncoder().encodeToString(new byte[32]);
    for (String body :
        List.of(
            "o\n42\n",
            "o\n042\n" + root + "\n",
            "o\n-1\n" + root + "\n",
            "o\n42\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n",
            "\n42\n" + root + "\n",
            "o\n42\n" + root + "\n\nextension\n")) { // an empty extension line
      String note = SignedNote.sign(body, log);
      assertThrows(
          IllegalArgumentException.class,
          () -> NoteCheckpoint.verify(note, log.verifierKey()),
          body);
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = SignedNoteTest.class.getResourceAsStream("/signed-note/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
