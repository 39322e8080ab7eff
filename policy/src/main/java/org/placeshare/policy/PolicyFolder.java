package org.placeshare.policy;

import com.nimbusds.jose.jwk.ECKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Loads a folder of agreement files ({@code *.yaml}, {@code *.yml}) into a {@link PolicySet}. Every
 * file is read and checked before anything is refused, so one run lists every problem; the set is
 * all or nothing.
 */
public final class PolicyFolder {

  /** The suffix of a detached signature beside its agreement file. */
  public static final String SIGNATURE_SUFFIX = ".jws";

  /**
   * How strictly to load.
   *
   * @param registered the organisations agreements may name; empty skips the check (lint without a
   *     gateway configuration)
   * @param signers the IG keys whose signatures are accepted
   * @param signaturesRequired refuse any file without a valid signature
   */
  public record Options(
      Optional<Set<OdsCode>> registered, List<ECKey> signers, boolean signaturesRequired) {
    public static final Options LENIENT = new Options(Optional.empty(), List.of(), false);

    public Options {
      signers = List.copyOf(signers);
      if (signaturesRequired && signers.isEmpty()) {
        throw new PolicyException(
            "expected at least one IG signing key when signatures are required");
      }
    }
  }

  /**
   * A loaded set with what an IG lead should know about it.
   *
   * @param fingerprint SHA-256 over every file's name and hash: equal fingerprints, equal sets
   */
  public record Loaded(PolicySet set, List<String> warnings, String fingerprint) {}

  private PolicyFolder() {}

  /**
   * Loads and checks every agreement in a folder.
   *
   * @throws PolicyException listing every problem in every file, one per line
   */
  public static Loaded load(Path folder, Options options, LocalDate today) {
    List<Path> files = files(folder);
    List<Agreement> agreements = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    StringBuilder hashes = new StringBuilder();
    for (Path file : files) {
      String name = file.getFileName().toString();
      try {
        byte[] bytes = Files.readAllBytes(file);
        checkSignature(name, bytes, file.resolveSibling(name + SIGNATURE_SUFFIX), options);
        Agreement agreement = AgreementFile.parse(name, bytes);
        agreements.add(agreement);
        hashes.append(name).append('=').append(agreement.sha256()).append('\n');
      } catch (PolicyException e) {
        problems.add(e.getMessage());
      } catch (IOException e) {
        problems.add(name + ": cannot be read: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(String.join("\n", problems));
    }
    PolicySet set = PolicySet.of(agreements, options.registered());
    String fingerprint = AgreementFile.sha256(hashes.toString().getBytes(StandardCharsets.UTF_8));
    return new Loaded(set, set.warnings(today), fingerprint);
  }

  private static List<Path> files(Path folder) {
    try (Stream<Path> list = Files.list(folder)) {
      List<Path> files = list.filter(PolicyFolder::isAgreementFile).sorted().toList();
      if (files.size() > PolicySet.MAX_AGREEMENTS) {
        throw new PolicyException(
            folder
                + ": expected at most "
                + PolicySet.MAX_AGREEMENTS
                + " agreement files, got "
                + files.size());
      }
      return files;
    } catch (NoSuchFileException e) {
      throw new PolicyException(folder + ": expected a folder of agreements, got nothing there", e);
    } catch (IOException e) {
      throw new PolicyException(folder + ": cannot list agreements: " + e.getMessage(), e);
    }
  }

  /** Agreement files by name; hidden and editor backup files are ignored. */
  static boolean isAgreementFile(Path path) {
    String name = path.getFileName().toString();
    return !name.startsWith(".")
        && (name.endsWith(".yaml") || name.endsWith(".yml"))
        && Files.isRegularFile(path);
  }

  private static void checkSignature(String name, byte[] bytes, Path signature, Options options)
      throws IOException {
    if (!Files.exists(signature)) {
      if (options.signaturesRequired()) {
        throw new PolicyException(
            name
                + ": expected a signature in "
                + signature.getFileName()
                + ", got none"
                + " (hint: sign approved files with 'ops policy sign')");
      }
      return;
    }
    if (Files.size(signature) > AgreementSignatures.MAX_SIGNATURE_BYTES) {
      throw new PolicyException(
          name
              + ": expected a signature of at most "
              + AgreementSignatures.MAX_SIGNATURE_BYTES
              + " bytes");
    }
    if (options.signers().isEmpty()) {
      // Signed, but no IG key is configured to check it: say so rather than pretend.
      return;
    }
    AgreementSignatures.verify(
        name, bytes, Files.readString(signature, StandardCharsets.US_ASCII), options.signers());
  }
}
