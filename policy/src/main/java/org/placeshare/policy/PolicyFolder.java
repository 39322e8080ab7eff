package org.placeshare.policy;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Loads a folder of agreement files ({@code *.yaml}, {@code *.yml}) into a {@link PolicySet}. Every
 * file is read and checked before anything is refused, so one run lists every problem; the set is
 * all or nothing.
 *
 * <p>Files are checked on a few threads at once ({@link #LOAD_THREADS}). A reload ({@link #reload})
 * reads every file again but checks again only what changed: a file whose bytes (by SHA-256) and
 * signature are exactly those the set in force was loaded from, under the same options, keeps the
 * agreement it gave then. Names and modification times are never trusted: any changed byte is
 * verified and parsed afresh.
 */
public final class PolicyFolder {

  /** The suffix of a detached signature beside its agreement file. */
  public static final String SIGNATURE_SUFFIX = ".jws";

  /**
   * At most this many threads read, verify and parse files at once: the machine's processors, no
   * more than four, so a reload of a large folder leaves the gateway's event loops some room.
   */
  static final int LOAD_THREADS =
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  /** Below this many files, one thread checks them: a pool would cost more than it saves. */
  static final int PARALLEL_FROM = 64;

  /**
   * How strictly to load.
   *
   * @param registered the organisations agreements may name; empty skips the check (lint without a
   *     gateway configuration)
   * @param signers the IG keys whose signatures are accepted
   * @param signaturesRequired refuse any file without a valid signature
   * @param verifiers where signature verifiers come from: {@code JwsVerifiers.factory()} in {@code
   *     policy.identity}, which chooses the provider for every signature the gateway checks (this
   *     package may not depend on that one)
   */
  public record Options(
      Optional<Set<OdsCode>> registered,
      List<ECKey> signers,
      boolean signaturesRequired,
      JWSVerifierFactory verifiers) {

    /** No register, no IG key: what {@code ops policy lint} checks without a configuration. */
    public static final Options LENIENT =
        // With no IG key no signature is ever verified, so the factory is never asked.
        new Options(Optional.empty(), List.of(), false, new DefaultJWSVerifierFactory());

    public Options {
      signers = List.copyOf(signers);
      Objects.requireNonNull(verifiers, "verifiers");
      if (signaturesRequired && signers.isEmpty()) {
        throw new PolicyException(
            "expected at least one IG signing key when signatures are required");
      }
    }
  }

  /**
   * A loaded set with what an IG lead should know about it, and the files it came from as they
   * passed the checks (for {@link #reload}).
   */
  public static final class Loaded {
    private final PolicySet set;
    private final List<String> warnings;
    private final String fingerprint;
    private final Options options;
    private final Map<String, Checked> files;

    private Loaded(
        PolicySet set,
        List<String> warnings,
        String fingerprint,
        Options options,
        Map<String, Checked> files) {
      this.set = set;
      this.warnings = List.copyOf(warnings);
      this.fingerprint = fingerprint;
      this.options = options;
      this.files = Map.copyOf(files);
    }

    public PolicySet set() {
      return set;
    }

    public List<String> warnings() {
      return warnings;
    }

    /** SHA-256 over every file's name and hash: equal fingerprints, equal sets. */
    public String fingerprint() {
      return fingerprint;
    }
  }

  /**
   * One file as it passed the checks: its agreement (which holds the SHA-256 of the file's bytes)
   * and the exact signature text verified over those bytes, if one was.
   */
  private record Checked(Agreement agreement, Optional<String> signature) {}

  /** One file's outcome: what passed, or the problem in words. */
  private record Outcome(String name, Checked checked, String problem) {}

  private PolicyFolder() {}

  /**
   * Loads and checks every agreement in a folder.
   *
   * @throws PolicyException listing every problem in every file, one per line
   */
  public static Loaded load(Path folder, Options options, LocalDate today) {
    return load(folder, options, today, Map.of());
  }

  /**
   * Loads the folder again, as {@link #load} does, with every file read again; a file whose bytes
   * and signature are exactly those {@code inForce} was loaded from, under equal options, is not
   * verified or parsed again.
   *
   * @throws PolicyException listing every problem in every file, one per line; {@code inForce} is
   *     untouched
   */
  public static Loaded reload(Path folder, Options options, LocalDate today, Loaded inForce) {
    return load(folder, options, today, options.equals(inForce.options) ? inForce.files : Map.of());
  }

  private static Loaded load(
      Path folder, Options options, LocalDate today, Map<String, Checked> before) {
    List<Path> files = files(folder);
    Map<String, JWSVerifier> verifiers =
        AgreementSignatures.verifiers(options.signers(), options.verifiers());
    List<Outcome> outcomes = checkAll(folder, files, f -> check(f, options, verifiers, before));
    List<Agreement> agreements = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Map<String, Checked> checked = new HashMap<>();
    StringBuilder hashes = new StringBuilder();
    for (Outcome o : outcomes) {
      if (o.problem() != null) {
        problems.add(o.problem());
        continue;
      }
      Agreement agreement = o.checked().agreement();
      agreements.add(agreement);
      checked.put(o.name(), o.checked());
      hashes.append(o.name()).append('=').append(agreement.sha256()).append('\n');
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(String.join("\n", problems));
    }
    PolicySet set = PolicySet.of(agreements, options.registered());
    String fingerprint = AgreementFile.sha256(hashes.toString().getBytes(StandardCharsets.UTF_8));
    return new Loaded(set, set.warnings(today), fingerprint, options, checked);
  }

  /** Checks every file, in file order, on up to {@link #LOAD_THREADS} threads. */
  private static List<Outcome> checkAll(
      Path folder, List<Path> files, Function<Path, Outcome> check) {
    if (files.size() < PARALLEL_FROM || LOAD_THREADS == 1) {
      return files.stream().map(check).toList();
    }
    // Contiguous runs of files, a few per thread so that a slow run does not hold the others up.
    int runs = LOAD_THREADS * 4;
    int per = (files.size() + runs - 1) / runs;
    List<Callable<List<Outcome>>> tasks = new ArrayList<>();
    for (int from = 0; from < files.size(); from += per) {
      List<Path> run = files.subList(from, Math.min(files.size(), from + per));
      tasks.add(() -> run.stream().map(check).toList());
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            LOAD_THREADS,
            r -> {
              Thread t = new Thread(r, "agreement-load");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Outcome> outcomes = new ArrayList<>(files.size());
      for (Future<List<Outcome>> run : pool.invokeAll(tasks)) {
        outcomes.addAll(run.get());
      }
      return outcomes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PolicyException(folder + ": loading the agreements was interrupted", e);
    } catch (ExecutionException e) {
      // Not a problem in a file (those are outcomes) but a fault: thrown as a sequential load
      // would.
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static Outcome check(
      Path file, Options options, Map<String, JWSVerifier> verifiers, Map<String, Checked> before) {
    String name = file.getFileName().toString();
    try {
      byte[] bytes = Files.readAllBytes(file);
      Optional<String> signature =
          signature(name, file.resolveSibling(name + SIGNATURE_SUFFIX), options);
      Checked earlier = before.get(name);
      String sha256 =
          earlier == null || bytes.length > AgreementFile.MAX_FILE_BYTES
              ? null
              : AgreementFile.sha256(bytes);
      if (sha256 != null
          && earlier.agreement().sha256().equals(sha256)
          && earlier.signature().equals(signature)) {
        // These exact bytes, with this exact signature, passed under these options before.
        return new Outcome(name, earlier, null);
      }
      if (signature.isPresent()) {
        AgreementSignatures.verify(name, bytes, signature.get(), verifiers);
      }
      Agreement agreement =
          sha256 == null
              ? AgreementFile.parse(name, bytes)
              : AgreementFile.parse(name, bytes, sha256);
      return new Outcome(name, new Checked(agreement, signature), null);
    } catch (PolicyException e) {
      return new Outcome(name, null, e.getMessage());
    } catch (IOException e) {
      return new Outcome(name, null, name + ": cannot be read: " + e.getMessage());
    }
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

  /**
   * The signature to verify over the file, if there is one and an IG key to check it with.
   *
   * @throws PolicyException when one is required and missing, or is too large
   */
  private static Optional<String> signature(String name, Path signature, Options options)
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
      return Optional.empty();
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
      return Optional.empty();
    }
    return Optional.of(Files.readString(signature, StandardCharsets.US_ASCII));
  }
}
