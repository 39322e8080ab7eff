package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.within;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.gateway.audit.WitnessingConfig;
import org.placeshare.gateway.config.RawConfig.RawWitness;
import org.placeshare.gateway.config.RawConfig.RawWitnessing;

/**
 * The {@code witnessing} section: each witness's URL and vkey file (a cosigner key, type 0x04), a
 * quorum of 1 to n, a bounded {@code maxLag}, and {@code failClosed}.
 */
final class WitnessingSection {

  private WitnessingSection() {}

  static WitnessingConfig witnessing(
      List<String> problems, Path base, RawWitnessing raw, Optional<Path> auditNoteKey) {
    if (raw == null) {
      return WitnessingConfig.NONE;
    }
    int before = problems.size();
    List<RawWitness> listed = raw.witnesses() == null ? List.of() : raw.witnesses();
    if (listed.isEmpty()) {
      problems.add("witnessing.witnesses: expected at least one witness (url and key), got none");
    }
    if (listed.size() > WitnessingConfig.MAX_WITNESSES) {
      problems.add(
          "witnessing.witnesses: expected at most "
              + WitnessingConfig.MAX_WITNESSES
              + ", got "
              + listed.size());
    }
    List<WitnessingConfig.Witness> witnesses = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < listed.size(); i++) {
      String key = "witnessing.witnesses[" + i + "]";
      RawWitness w = listed.get(i);
      URI url = w == null ? null : url(problems, key + ".url", w.url());
      NoteVerifierKey vkey = w == null ? null : key(problems, key + ".key", path(base, w.key()));
      if (w == null) {
        problems.add(key + ": expected a url and a key");
      }
      if (vkey != null && !names.add(vkey.name())) {
        problems.add(key + ".key: expected each witness once, got " + vkey.name() + " again");
      }
      // A cosignature/v1 does not commit to its signer's name: one key under two names would be
      // one witness counted twice towards the quorum.
      if (vkey != null && !keys.add(Base64.getEncoder().encodeToString(vkey.publicKey()))) {
        problems.add(
            key + ".key: expected each witness's own key, got " + vkey.name() + "'s key again");
      }
      if (url != null && vkey != null) {
        witnesses.add(new WitnessingConfig.Witness(url, vkey));
      }
    }
    int quorum = raw.quorum() == null ? listed.size() : raw.quorum();
    within(problems, "witnessing.quorum", quorum, 1, Math.max(1, listed.size()));
    Duration maxLag = WitnessingConfig.DEFAULT_MAX_LAG;
    if (raw.maxLag() != null) {
      try {
        maxLag = Duration.parse(raw.maxLag());
        if (maxLag.compareTo(WitnessingConfig.MIN_MAX_LAG) < 0
            || maxLag.compareTo(WitnessingConfig.MAX_MAX_LAG) > 0) {
          problems.add(
              "witnessing.maxLag: expected "
                  + WitnessingConfig.MIN_MAX_LAG
                  + " to "
                  + WitnessingConfig.MAX_MAX_LAG
                  + ", got "
                  + raw.maxLag());
        }
      } catch (DateTimeParseException e) {
        problems.add(
            "witnessing.maxLag: expected an ISO-8601 duration such as PT2M, got " + raw.maxLag());
      }
    }
    if (auditNoteKey.isEmpty()) {
      problems.add(
          "witnessing: expected an auditNoteKey, got none (witnesses cosign the checkpoints signed"
              + " as notes with it)");
    }
    if (problems.size() > before) {
      return WitnessingConfig.NONE;
    }
    return new WitnessingConfig(witnesses, quorum, maxLag, Boolean.TRUE.equals(raw.failClosed()));
  }

  /** An absolute http(s) URL without query or fragment: {@code /add-checkpoint} is added to it. */
  private static URI url(List<String> problems, String key, String value) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": expected the witness's URL, got nothing");
      return null;
    }
    try {
      URI url = new URI(ConfigChecks.strip(value.strip()));
      // Cosignatures cannot be forged, but whoever is on the path could answer a 409 naming a
      // larger tree (a false fork alert, the witness held off): https, or http on loopback only.
      boolean loopback =
          "http".equals(url.getScheme())
              && ("127.0.0.1".equals(url.getHost())
                  || "localhost".equals(url.getHost())
                  || "[::1]".equals(url.getHost()));
      if (!("https".equals(url.getScheme()) || loopback)
          || url.getHost() == null
          || url.getUserInfo() != null
          || url.getRawQuery() != null
          || url.getRawFragment() != null) {
        problems.add(
            key
                + ": expected an https URL (http only on loopback) without query or fragment, got "
                + value);
        return null;
      }
      return url;
    } catch (URISyntaxException e) {
      problems.add(key + ": expected a URL, got " + value);
      return null;
    }
  }

  /** The witness's vkey, which must be a cosigner's (type 0x04): a log's key is not a witness's. */
  private static NoteVerifierKey key(List<String> problems, String key, Path file) {
    if (file == null) {
      problems.add(key + ": expected the witness's vkey file, got nothing");
      return null;
    }
    try {
      NoteVerifierKey vkey = NoteVerifierKey.read(file);
      if (vkey.type() != NoteVerifierKey.Type.COSIGNATURE_V1) {
        problems.add(
            key
                + ": "
                + file
                + " is a log's note key (type 0x01), expected a witness's cosigner key (type"
                + " 0x04)");
        return null;
      }
      return vkey;
    } catch (IOException e) {
      problems.add(key + ": " + file + " cannot be read");
    } catch (IllegalArgumentException e) {
      problems.add(key + ": " + e.getMessage());
    }
    return null;
  }
}
