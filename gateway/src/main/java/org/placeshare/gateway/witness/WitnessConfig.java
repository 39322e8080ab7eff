package org.placeshare.gateway.witness;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;

/**
 * A witness's configuration: where it listens, its cosigning key, the logs it witnesses, and its
 * database (a PostgreSQL URL, or the embedded server under {@code dataDir} when there is none).
 *
 * @param host the address to listen on
 * @param port the port; 0 picks a free one
 * @param cosigner the witness's own key, of type {@code cosignature/v1} (0x04)
 * @param logs each log it witnesses: its origin and its checkpoint key; an origin may be listed
 *     with several keys (any one of them signing is enough)
 * @param databaseUrl a PostgreSQL URL (it holds a password: never logged); empty for the embedded
 *     server
 * @param dataDir the folder of the embedded server, when there is no URL
 */
public record WitnessConfig(
    String host,
    int port,
    NoteSigner cosigner,
    List<WitnessedLog> logs,
    Optional<String> databaseUrl,
    Path dataDir) {

  /** A log the witness cosigns for: checkpoints with this origin, signed by this key. */
  public record WitnessedLog(String origin, NoteVerifierKey key) {
    public WitnessedLog {
      Objects.requireNonNull(key, "a witnessed log needs its checkpoint key");
      if (origin == null || origin.isEmpty() || origin.contains("\n")) {
        throw new IllegalArgumentException("a witnessed log's origin is one non-empty line");
      }
      if (key.type() != NoteVerifierKey.Type.ED25519) {
        throw new IllegalArgumentException(
            "the key of log " + origin + " is not a log's checkpoint key (type 0x01)");
      }
    }

    /** A log whose origin is its key's name, as the gateway's checkpoints are. */
    public static WitnessedLog of(NoteVerifierKey key) {
      return new WitnessedLog(key.name(), key);
    }
  }

  public WitnessConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(cosigner, "cosigner");
    Objects.requireNonNull(databaseUrl, "databaseUrl");
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: expected 0 to 65535, got " + port);
    }
    if (cosigner.verifierKey().type() != NoteVerifierKey.Type.COSIGNATURE_V1) {
      throw new IllegalArgumentException(
          "the witness key is not a cosigner's key (type 0x04): make one with keygen witness");
    }
    logs = List.copyOf(logs);
    if (logs.isEmpty()) {
      throw new IllegalArgumentException("a witness needs at least one log to witness");
    }
    Set<String> seen = new HashSet<>();
    for (WitnessedLog log : logs) {
      if (!seen.add(log.origin() + "\n" + log.key().encoded())) {
        throw new IllegalArgumentException("log " + log.origin() + " is listed twice");
      }
      // The key bytes, not the verifier keys: a log's (0x01) never equals a cosigner's (0x04).
      if (Arrays.equals(log.key().publicKey(), cosigner.verifierKey().publicKey())) {
        throw new IllegalArgumentException("the witness key cannot be a log's key");
      }
    }
  }

  /**
   * Reads {@code witness.yaml}: {@code host}, {@code port}, {@code key} (the witness's {@code
   * PRIVATE+KEY} file), {@code logs} (each {@code vkey} or {@code vkeyFile}, and an optional {@code
   * origin}), {@code databaseUrlFile} (optional) and {@code dataDir} (default {@code data}); paths
   * relative to the file's folder.
   *
   * @throws IllegalArgumentException naming the file and what is wrong in it
   */
  public static WitnessConfig load(Path file) {
    return WitnessConfigFile.load(file);
  }

  /** The keys trusted for checkpoints of {@code origin}; empty when the origin is unknown. */
  public List<NoteVerifierKey> keysFor(String origin) {
    return logs.stream().filter(l -> l.origin().equals(origin)).map(WitnessedLog::key).toList();
  }

  @Override
  public String toString() {
    return "WitnessConfig[host="
        + host
        + ", port="
        + port
        + ", cosigner="
        + cosigner.verifierKey().encoded()
        + ", logs="
        + logs
        + ", database="
        + (databaseUrl.isPresent() ? "(url)" : dataDir)
        + "]";
  }
}
