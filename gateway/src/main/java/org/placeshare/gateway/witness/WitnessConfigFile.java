package org.placeshare.gateway.witness;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.gateway.audit.NoteVerifierKey;

/**
 * {@code witness.yaml}, read strictly: unknown keys refused, every path relative to the file's
 * folder, the witness key and each log's verifier key read and checked before the witness starts.
 */
final class WitnessConfigFile {

  /** Larger is not a witness's configuration: refused before it is parsed. */
  static final int MAX_CONFIG_BYTES = 64 * 1024;

  /** A key file holds one short line; larger is not one. */
  static final int MAX_KEY_FILE_BYTES = 4 * 1024;

  /** The file's shape as YAML gives it; every value optional, so each missing one is named. */
  record Raw(
      String host,
      Integer port,
      String key,
      List<RawLog> logs,
      String databaseUrlFile,
      String dataDir) {}

  /** One witnessed log: its verifier key inline or in a file, and its origin if not the name. */
  record RawLog(String origin, String vkey, String vkeyFile) {}

  private WitnessConfigFile() {}

  static WitnessConfig load(Path file) {
    Raw raw;
    try {
      if (Files.size(file) > MAX_CONFIG_BYTES) {
        throw new IllegalArgumentException(
            file + ": expected at most " + MAX_CONFIG_BYTES + " bytes");
      }
      raw =
          new ObjectMapper(new YAMLFactory())
              .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
              .readValue(file.toFile(), Raw.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException(file + ": unknown key '" + e.getPropertyName() + "'");
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage());
    }
    if (raw == null) {
      throw new IllegalArgumentException(file + ": the file is empty");
    }
    Path base = file.toAbsolutePath().getParent();
    try {
      return new WitnessConfig(
          required(raw.host(), "host"),
          required(raw.port(), "port"),
          NoteSigner.parse(read(base, required(raw.key(), "key"), "key")),
          logs(base, required(raw.logs(), "logs")),
          raw.databaseUrlFile() == null
              ? Optional.empty()
              : Optional.of(read(base, raw.databaseUrlFile(), "databaseUrlFile").strip()),
          base.resolve(raw.dataDir() == null ? "data" : raw.dataDir()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private static List<WitnessConfig.WitnessedLog> logs(Path base, List<RawLog> raw) {
    List<WitnessConfig.WitnessedLog> logs = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      RawLog log = raw.get(i);
      String where = "logs[" + i + "]";
      if (log == null || (log.vkey() == null) == (log.vkeyFile() == null)) {
        throw new IllegalArgumentException(where + ": expected one of vkey or vkeyFile");
      }
      String text =
          log.vkey() != null ? log.vkey() : read(base, log.vkeyFile(), where + ".vkeyFile");
      NoteVerifierKey key;
      try {
        key = NoteVerifierKey.parse(text.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
      logs.add(
          new WitnessConfig.WitnessedLog(log.origin() == null ? key.name() : log.origin(), key));
    }
    return logs;
  }

  private static String read(Path base, String name, String what) {
    Path path = base.resolve(name);
    try {
      if (Files.size(path) > MAX_KEY_FILE_BYTES) {
        throw new IllegalArgumentException(what + ": " + path + " is too large for a key");
      }
      return Files.readString(path);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + ": cannot read " + path);
    }
  }

  private static <T> T required(T value, String key) {
    if (value == null) {
      throw new IllegalArgumentException("missing required key '" + key + "'");
    }
    return value;
  }
}
