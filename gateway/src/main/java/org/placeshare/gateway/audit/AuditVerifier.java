package org.placeshare.gateway.audit;

import com.nimbusds.jose.jwk.ECKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the audit log with only the audit key's public half: every checkpoint's signature, every
 * event's leaf hash recomputed from its data, the indices contiguous from 0, and the root at every
 * checkpoint's size recomputed from the events. Given the note verifier key, the checkpoints signed
 * as C2SP notes are checked the same way: each note's signature by that key, and its root against
 * the events at its size. Reports the first problem found: an altered or moved event, a missing
 * one, or a stretch of the log that no longer matches what was signed.
 */
public final class AuditVerifier {

  /**
   * One stored event: its index, the exact bytes hashed (null once redacted under retention: then
   * only its stored hash is left, and the signed checkpoints vouch for it), the stored hash, a
   * label.
   */
  public record StoredLeaf(long index, byte[] data, byte[] storedHash, String label) {}

  /**
   * @param problem the first problem, or empty when the log verifies
   */
  public record Report(
      long events,
      Optional<Checkpoint> latest,
      Optional<String> problem,
      int notesVerified,
      Optional<Witnessed> witnessed) {

    public Report(long events, Optional<Checkpoint> latest, Optional<String> problem) {
      this(events, latest, problem, 0, Optional.empty());
    }

    public boolean intact() {
      return problem.isEmpty();
    }

    public String summary() {
      return problem.orElseGet(
          () ->
              "the audit log verifies: "
                  + events
                  + " events"
                  + latest
                      .map(
                          c ->
                              ", matching the checkpoint of size "
                                  + c.size()
                                  + " signed at "
                                  + c.time()
                                  + " (root "
                                  + c.rootBase64()
                                  + ")"
                                  + (events > c.size()
                                      ? "; the "
                                          + (events - c.size())
                                          + " events after it await the next checkpoint"
                                      : ""))
                      .orElse(", no checkpoint signed yet")
                  + (notesVerified > 0
                      ? "; " + notesVerified + " checkpoint notes verified with the note key"
                      : "")
                  + witnessed.map(w -> "; " + w.words(events)).orElse(""));
    }
  }

  /**
   * How far the witnesses given vouch for the log.
   *
   * @param size the largest checkpoint note cosigned by {@code quorum} of them (0: none)
   * @param witnesses each witness with the largest note it cosigned
   */
  public record Witnessed(int quorum, long size, List<WitnessTally> witnesses) {
    public Witnessed {
      witnesses = List.copyOf(witnesses);
    }

    String words(long events) {
      String behind =
          events > size
              ? "; the " + (events - size) + " events after it are not yet witnessed"
              : "";
      return "witnessed by "
          + quorum
          + " of "
          + witnesses.size()
          + " up to size "
          + size
          + behind
          + "; "
          + tally(witnesses);
    }
  }

  /**
   * The witnesses whose cosignatures {@code audit verify} checks, and how many of them make a
   * checkpoint note witnessed.
   *
   * @param keys the witnesses' cosigner verifier keys (type 0x04)
   * @param quorum 1 to the number of keys; 0 only with no keys
   */
  public record Witnesses(List<NoteVerifierKey> keys, int quorum) {
    public static final Witnesses NONE = new Witnesses(List.of(), 0);

    public Witnesses {
      keys = List.copyOf(keys);
      if (keys.isEmpty() ? quorum != 0 : quorum < 1 || quorum > keys.size()) {
        throw new IllegalArgumentException(
            "the witness quorum is 1 to the number of witness keys (" + keys.size() + ")");
      }
      Set<String> distinct = new HashSet<>();
      for (NoteVerifierKey k : keys) {
        if (k.type() != NoteVerifierKey.Type.COSIGNATURE_V1) {
          throw new IllegalArgumentException(
              k.name() + " is not a witness's key (a cosignature/v1 key, type 0x04)");
        }
        // A cosignature/v1 does not commit to its signer's name: the same key given twice, or
        // under two names, is one witness, and must not count twice towards the quorum.
        if (!distinct.add(Base64.getEncoder().encodeToString(k.publicKey()))) {
          throw new IllegalArgumentException(
              "the witness key of " + k.name() + " is given twice (or under two names)");
        }
      }
    }
  }

  /** One witness in the verified notes: the largest checkpoint size it cosigned (0 if none). */
  public record WitnessTally(String name, long largest) {}

  private static String tally(List<WitnessTally> witnesses) {
    List<String> words = new ArrayList<>();
    for (WitnessTally w : witnesses) {
      words.add(
          w.name() + (w.largest() == 0 ? " cosigned none" : " cosigned up to size " + w.largest()));
    }
    return "witnesses: " + String.join(", ", words);
  }

  /** A signed tree head of either form, and how a problem names it. */
  private record Head(long size, byte[] root, String name, String kind) {}

  private AuditVerifier() {}

  /** Checks the log and its JWS checkpoints; checkpoint notes, if any, are not checked. */
  public static Report verify(Iterator<StoredLeaf> leaves, List<String> signed, ECKey key) {
    return verify(leaves, signed, key, List.of(), Optional.empty());
  }

  /**
   * Checks the log, its JWS checkpoints and, given {@code noteKey}, its checkpoint notes. With a
   * note key and no notes the log fails: whoever asked to check notes expects some.
   */
  public static Report verify(
      Iterator<StoredLeaf> leaves,
      List<String> signed,
      ECKey key,
      List<String> notes,
      Optional<NoteVerifierKey> noteKey) {
    return verify(leaves, signed, key, notes, noteKey, Witnesses.NONE);
  }

  /**
   * Checks the log, its JWS checkpoints, its checkpoint notes with {@code noteKey} and, given
   * witnesses, every cosignature on the notes by their keys: one that does not verify fails the
   * log, naming the witness and the note's size; some note must be cosigned by {@code quorum} of
   * them, and the report says up to which size the log is witnessed. Cosignature lines by keys not
   * given are ignored, as a note verifier does.
   */
  public static Report verify(
      Iterator<StoredLeaf> leaves,
      List<String> signed,
      ECKey key,
      List<String> notes,
      Optional<NoteVerifierKey> noteKey,
      Witnesses witnesses) {
    if (!witnesses.keys().isEmpty() && noteKey.isEmpty()) {
      return new Report(
          0,
          Optional.empty(),
          Optional.of("witnesses' cosignatures are checked on the notes: give the note key too"));
    }
    List<Checkpoint> checkpoints = new ArrayList<>();
    List<Head> heads = new ArrayList<>();
    for (String s : signed) {
      try {
        Checkpoint c = Checkpoint.verify(s, key);
        checkpoints.add(c);
        heads.add(
            new Head(
                c.size(),
                c.root(),
                "the checkpoint of size " + c.size() + " signed at " + c.time(),
                "a checkpoint"));
      } catch (IllegalArgumentException e) {
        return new Report(0, Optional.empty(), Optional.of("a checkpoint: " + e.getMessage()));
      }
    }
    if (noteKey.isPresent()) {
      if (notes.isEmpty()) {
        return new Report(
            0,
            Optional.empty(),
            Optional.of(
                "no checkpoint notes to check with the note key "
                    + noteKey.get().name()
                    + ": the log has none (is the gateway configured with an audit note key?)"));
      }
      for (String n : notes) {
        try {
          NoteCheckpoint c = NoteCheckpoint.verify(n, noteKey.get());
          heads.add(
              new Head(
                  c.size(),
                  c.root(),
                  "the checkpoint note of size " + c.size(),
                  "a checkpoint note"));
        } catch (IllegalArgumentException e) {
          return new Report(
              0, Optional.empty(), Optional.of(noteProblem(n, noteKey.get(), e.getMessage())));
        }
      }
    }
    Optional<Witnessed> witnessed = Optional.empty();
    if (!witnesses.keys().isEmpty()) {
      Cosigned cosigned = cosignatures(notes, noteKey.get(), witnesses);
      if (cosigned.problem().isPresent()) {
        return new Report(0, Optional.empty(), cosigned.problem());
      }
      witnessed = cosigned.witnessed();
    }
    int notesVerified = noteKey.isPresent() ? notes.size() : 0;
    checkpoints.sort(Comparator.comparingLong(Checkpoint::size));
    heads.sort(Comparator.comparingLong(Head::size));
    Optional<Checkpoint> latest =
        checkpoints.isEmpty()
            ? Optional.empty()
            : Optional.of(checkpoints.get(checkpoints.size() - 1));
    Frontier frontier = Frontier.empty();
    int next = 0;
    long lastGood = 0;
    while (leaves.hasNext()) {
      StoredLeaf leaf = leaves.next();
      long expected = frontier.size();
      if (leaf.index() != expected) {
        return new Report(
            expected,
            latest,
            Optional.of(
                "the event at index "
                    + expected
                    + " is missing (the next is "
                    + leaf.index()
                    + ")"));
      }
      if (leaf.data() == null && leaf.storedHash() == null) {
        return new Report(
            expected,
            latest,
            Optional.of("the event at index " + expected + " has neither data nor a leaf hash"));
      }
      byte[] hash = leaf.data() == null ? leaf.storedHash() : Merkle.leafHash(leaf.data());
      if (leaf.storedHash() != null && !MessageDigest.isEqual(hash, leaf.storedHash())) {
        return new Report(
            expected,
            latest,
            Optional.of(
                "the event at index "
                    + expected
                    + " ("
                    + leaf.label()
                    + ") has been altered or moved: its data no longer gives its leaf hash"));
      }
      frontier.append(hash);
      while (next < heads.size() && heads.get(next).size() == frontier.size()) {
        Head c = heads.get(next++);
        if (!MessageDigest.isEqual(frontier.root(), c.root())) {
          return new Report(
              frontier.size(),
              latest,
              Optional.of(
                  "the log does not match "
                      + c.name()
                      + ": an event from index "
                      + lastGood
                      + " to "
                      + (c.size() - 1)
                      + " was altered, removed or reordered"));
        }
        lastGood = c.size();
      }
      while (next < heads.size() && heads.get(next).size() < frontier.size()) {
        next++; // a checkpoint of a size already passed cannot be missed; sizes are ascending
      }
    }
    Optional<Head> last =
        heads.isEmpty() ? Optional.empty() : Optional.of(heads.get(heads.size() - 1));
    if (last.isPresent() && last.get().size() > frontier.size()) {
      return new Report(
          frontier.size(),
          latest,
          Optional.of(
              "the log ends after "
                  + frontier.size()
                  + " events, but "
                  + last.get().kind()
                  + " of size "
                  + last.get().size()
                  + " was signed: events from index "
                  + frontier.size()
                  + " are missing"));
    }
    return new Report(frontier.size(), latest, Optional.empty(), notesVerified, witnessed);
  }

  private record Cosigned(Optional<Witnessed> witnessed, Optional<String> problem) {
    static Cosigned problem(String words) {
      return new Cosigned(Optional.empty(), Optional.of(words));
    }
  }

  /**
   * Every note opened with the log's key and the witnesses' (each note already verified with the
   * log's key alone, so a signature that fails here is a witness's), and the quorum: the log is
   * witnessed up to the largest note cosigned by {@code quorum} of them. A live log's newest note
   * may not be cosigned yet, so the events after the witnessed one are reported, not failed; a log
   * with no witnessed note at all fails.
   */
  private static Cosigned cosignatures(
      List<String> notes, NoteVerifierKey logKey, Witnesses witnesses) {
    List<NoteVerifierKey> keys = new ArrayList<>(witnesses.keys().size() + 1);
    keys.add(logKey);
    keys.addAll(witnesses.keys());
    long[] largest = new long[witnesses.keys().size()];
    long witnessed = -1;
    for (String n : notes) {
      long size = NoteCheckpoint.readUnverified(n).size();
      SignedNote.Opened opened;
      try {
        opened = SignedNote.open(n.getBytes(StandardCharsets.UTF_8), keys);
      } catch (IllegalArgumentException e) {
        return Cosigned.problem(
            "a witness's cosignature on the checkpoint note of size "
                + size
                + " does not verify: "
                + e.getMessage()
                + " (witness keys given: "
                + names(witnesses.keys())
                + ")");
      }
      int count = 0;
      for (int i = 0; i < largest.length; i++) {
        if (opened.signedBy(witnesses.keys().get(i))) {
          largest[i] = Math.max(largest[i], size);
          count++;
        }
      }
      if (count >= witnesses.quorum()) {
        witnessed = Math.max(witnessed, size);
      }
    }
    List<WitnessTally> tallies = new ArrayList<>();
    for (int i = 0; i < largest.length; i++) {
      tallies.add(new WitnessTally(witnesses.keys().get(i).name(), largest[i]));
    }
    if (witnessed < 0) {
      return Cosigned.problem(
          "no checkpoint note is witnessed: none is cosigned by "
              + witnesses.quorum()
              + " of the "
              + largest.length
              + " witnesses given; "
              + tally(tallies));
    }
    return new Cosigned(
        Optional.of(new Witnessed(witnesses.quorum(), witnessed, tallies)), Optional.empty());
  }

  private static String names(List<NoteVerifierKey> keys) {
    return String.join(
        ", ", keys.stream().map(k -> k.name() + "+" + String.format("%08x", k.keyHash())).toList());
  }

  /** Why a note failed, naming the key expected and the keys that did sign it. */
  private static String noteProblem(String note, NoteVerifierKey key, String why) {
    String size;
    try {
      size = "of size " + NoteCheckpoint.readUnverified(note).size();
    } catch (RuntimeException e) {
      size = "(unreadable)";
    }
    return "the checkpoint note "
        + size
        + " does not verify with the note key "
        + key.name()
        + "+"
        + String.format("%08x", key.keyHash())
        + " ("
        + why
        + "); it is signed by "
        + signers(note);
  }

  /** The name+hash of each signature line of a note, as the note claims them. */
  private static String signers(String note) {
    int split = note.lastIndexOf("\n\n");
    List<String> out = new ArrayList<>();
    if (split >= 0) {
      for (String line : note.substring(split + 2).split("\n")) {
        if (!line.startsWith(SignedNote.SIG_PREFIX) || out.size() >= SignedNote.MAX_SIGNATURES) {
          continue;
        }
        String rest = line.substring(SignedNote.SIG_PREFIX.length());
        int space = rest.indexOf(' ');
        if (space < 0) {
          continue;
        }
        String name = rest.substring(0, space);
        try {
          byte[] raw = Base64.getDecoder().decode(rest.substring(space + 1));
          out.add(
              raw.length >= 4
                  ? name + "+" + String.format("%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3])
                  : name);
        } catch (IllegalArgumentException e) {
          out.add(name);
        }
      }
    }
    return out.isEmpty() ? "no readable key" : String.join(", ", out);
  }
}
