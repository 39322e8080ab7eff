package org.placeshare.policy.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.policy.AgreementCorpus;
import org.placeshare.policy.AgreementSignatures;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.identity.JwsVerifiers;
import org.placeshare.policy.identity.SigningKey;

/**
 * Loading and reloading a folder of signed agreement files as the gateway does ({@code
 * PolicyStore}: {@link PolicyFolder}, signatures required, one IG key): read each file and its
 * detached signature, verify, parse and validate, build the set. The files are a generated place
 * ({@link AgreementCorpus}), each signed. {@code load} is a start (every file verified and parsed);
 * {@code reloadUnchanged} a poll after a touch that changed no byte; {@code reloadOneChanged} a
 * reload after one file was edited and signed again (two signed edits in turn, neither the text in
 * force). Run with {@code ops/bench/policy-load.sh}; results in docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class AgreementLoadBenchmark {

  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);

  @Param({"10000"})
  int files;

  Path folder;
  PolicyFolder.Options options;
  PolicyFolder.Loaded inForce;
  Path edited;
  byte[][] texts;
  String[] signatures;
  int turn;

  @Setup(Level.Trial)
  public void write() throws IOException {
    folder = Files.createTempDirectory("agreements");
    SigningKey ig = SigningKey.generate();
    AgreementCorpus place = new AgreementCorpus(files, 22);
    for (int i = 0; i < files; i++) {
      Path file = folder.resolve(AgreementCorpus.fileName(i));
      byte[] text = place.file(i);
      Files.write(file, text);
      Files.writeString(
          file.resolveSibling(file.getFileName() + PolicyFolder.SIGNATURE_SUFFIX),
          ig.signDetached(AgreementSignatures.TYPE, text));
    }
    options =
        new PolicyFolder.Options(
            Optional.empty(), List.of(ig.publicJwk()), true, JwsVerifiers.factory());
    inForce = PolicyFolder.load(folder, options, TODAY);
    edited = folder.resolve(AgreementCorpus.fileName(files / 2));
    // Two edits, each unlike the text in force, so every reload verifies and parses one file.
    String original = Files.readString(edited);
    texts =
        new byte[][] {
          (original + "# reviewed\n").getBytes(StandardCharsets.UTF_8),
          (original + "# reviewed again\n").getBytes(StandardCharsets.UTF_8)
        };
    signatures =
        new String[] {
          ig.signDetached(AgreementSignatures.TYPE, texts[0]),
          ig.signDetached(AgreementSignatures.TYPE, texts[1])
        };
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    try (Stream<Path> all = Files.walk(folder)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public PolicyFolder.Loaded load() {
    return PolicyFolder.load(folder, options, TODAY);
  }

  @Benchmark
  public PolicyFolder.Loaded reloadUnchanged() {
    return PolicyFolder.reload(folder, options, TODAY, inForce);
  }

  /** Each call finds the edited file in the other of its two signed texts. */
  @Benchmark
  public PolicyFolder.Loaded reloadOneChanged() throws IOException {
    int t = ++turn & 1;
    Files.write(edited, texts[t]);
    Files.writeString(
        edited.resolveSibling(edited.getFileName() + PolicyFolder.SIGNATURE_SUFFIX), signatures[t]);
    return PolicyFolder.reload(folder, options, TODAY, inForce);
  }
}
