package org.placeshare.gateway.audit;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The partner witnesses the log's checkpoints are submitted to (C2SP tlog-witness), and what a
 * checkpoint needs to count as witnessed: {@code quorum} of the witnesses' valid cosignatures.
 * Without witnesses ({@link #NONE}) nothing is submitted and the checkpoint is served as signed.
 *
 * @param witnesses each witness's submission URL and its cosigner key (a vkey of type 0x04)
 * @param quorum k of n: how many witnesses' cosignatures make a checkpoint witnessed
 * @param maxLag how long the newest events may stay unwitnessed before an IG alert is raised
 * @param failClosed refuse to release records while witnessing is behind by more than {@code
 *     maxLag}
 */
public record WitnessingConfig(
    List<Witness> witnesses, int quorum, Duration maxLag, boolean failClosed) {

  /** A shorter lag is within the time a healthy witness takes to cosign; tests use it. */
  public static final Duration MIN_MAX_LAG = Duration.ofSeconds(2);

  /** Longer, and a fork could go unnoticed for more than a day's releases. */
  public static final Duration MAX_MAX_LAG = Duration.ofDays(1);

  public static final Duration DEFAULT_MAX_LAG = Duration.ofMinutes(2);

  /** More witnesses than this is not a configuration anyone means. */
  public static final int MAX_WITNESSES = 16;

  /** No witnesses: checkpoints are not submitted, releases never wait for witnessing. */
  public static final WitnessingConfig NONE =
      new WitnessingConfig(List.of(), 0, DEFAULT_MAX_LAG, false);

  /** One witness: where its {@code add-checkpoint} is, and the key its cosignatures verify with. */
  public record Witness(URI url, NoteVerifierKey key) {
    public String name() {
      return key.name();
    }
  }

  public WitnessingConfig {
    witnesses = List.copyOf(witnesses);
  }

  public boolean configured() {
    return !witnesses.isEmpty();
  }

  /** The witnesses' keys, for opening a note with them. */
  public List<NoteVerifierKey> keys() {
    return witnesses.stream().map(Witness::key).toList();
  }
}
