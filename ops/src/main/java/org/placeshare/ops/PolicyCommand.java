package org.placeshare.ops;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.placeshare.fhir.mapped.SourceMapping;
import org.placeshare.fhir.synthetic.SyntheticPerson;
import org.placeshare.fhir.synthetic.SyntheticPopulation;
import org.placeshare.gateway.config.GatewayConfig;
import org.placeshare.policy.AgreementFile;
import org.placeshare.policy.AgreementSignatures;
import org.placeshare.policy.Decision;
import org.placeshare.policy.DecisionRequest;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PolicyException;
import org.placeshare.policy.PolicyFolder;
import org.placeshare.policy.PolicySet;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.JwsVerifiers;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code policy lint|lint-mapping|dry-run|sign}: the IG lead's tools for agreement files and the
 * mapping files of sources that do not speak FHIR.
 */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Check, compare and sign agreement files.",
    subcommands = {
      PolicyCommand.Lint.class,
      PolicyCommand.LintMapping.class,
      PolicyCommand.DryRun.class,
      PolicyCommand.Sign.class
    })
final class PolicyCommand {

  /** The providers the demo's sources stand for. */
  static final List<OdsCode> DEMO_PROVIDERS =
      List.of(OdsCode.of("Y90001"), OdsCode.of("R9A"), OdsCode.of("E08000026"));

  @Command(
      name = "lint",
      mixinStandardHelpOptions = true,
      description =
          "Print every problem in a folder of agreements; exit 1 on errors, 0 when it would load.")
  static final class Lint implements Callable<Integer> {
    @Parameters(index = "0", description = "folder of agreement files")
    Path folder;

    @Option(
        names = "--config",
        description = "gateway configuration: check parties and signatures as the gateway would")
    Path config;

    @Override
    public Integer call() {
      return lint(folder, Optional.ofNullable(config), LocalDate.now(), System.out, System.err);
    }
  }

  static int lint(
      Path folder, Optional<Path> config, LocalDate today, PrintStream out, PrintStream err) {
    PolicyFolder.Options options;
    try {
      options = config.map(PolicyCommand::options).orElse(PolicyFolder.Options.LENIENT);
    } catch (RuntimeException e) {
      err.println(e.getMessage());
      return 2;
    }
    try {
      PolicyFolder.Loaded loaded = PolicyFolder.load(folder, options, today);
      loaded.warnings().forEach(w -> out.println("warning: " + w));
      out.println(
          loaded.set().agreements().size()
              + " agreements load"
              + (loaded.warnings().isEmpty()
                  ? ""
                  : " with " + loaded.warnings().size() + " warnings")
              + "; fingerprint "
              + loaded.fingerprint());
      return 0;
    } catch (PolicyException e) {
      e.getMessage().lines().forEach(l -> err.println("error: " + l));
      err.println(e.getMessage().lines().count() + " errors; nothing would load");
      return 1;
    }
  }

  @Command(
      name = "lint-mapping",
      mixinStandardHelpOptions = true,
      description =
          "Print every problem in mapping files, each at its file:line:column; exit 1 on errors,"
              + " 0 when every file would load.")
  static final class LintMapping implements Callable<Integer> {
    @Parameters(arity = "1..*", description = "mapping files")
    List<Path> files;

    @Override
    public Integer call() {
      return lintMappings(files, System.out, System.err);
    }
  }

  /** Checks each mapping file as the gateway loads it, at start and on reload. */
  static int lintMappings(List<Path> files, PrintStream out, PrintStream err) {
    long errors = 0;
    for (Path file : files) {
      try {
        SourceMapping mapping = SourceMapping.load(file);
        out.println(
            file
                + ": mapping "
                + mapping.id()
                + " loads ("
                + (mapping.traced()
                    ? "traced: a roster, looked up by the source's own id"
                    : "looked up by NHS number")
                + "; makes "
                + String.join(", ", mapping.resourceTypes())
                + ")");
      } catch (PolicyException e) {
        e.getMessage().lines().forEach(l -> err.println("error: " + l));
        errors += e.getMessage().lines().count();
      }
    }
    if (errors > 0) {
      err.println(errors + " errors; the files with errors would not load");
      return 1;
    }
    return 0;
  }

  static PolicyFolder.Options options(Path configFile) {
    GatewayConfig config = GatewayConfig.load(configFile);
    Set<OdsCode> registered =
        config.organisations().stream().map(o -> OdsCode.of(o.code())).collect(Collectors.toSet());
    return new PolicyFolder.Options(
        Optional.of(registered),
        config.agreementSigners().stream().map(SigningKey::readPublicPem).toList(),
        config.agreementSignaturesRequired(),
        JwsVerifiers.factory());
  }

  @Command(
      name = "dry-run",
      mixinStandardHelpOptions = true,
      description =
          "Decide every demo client and purpose for every synthetic person under a new set and"
              + " under the set in force, and print what would change.")
  static final class DryRun implements Callable<Integer> {
    @Parameters(index = "0", description = "folder of the new or changed agreements")
    Path folder;

    @Option(
        names = "--against",
        defaultValue = DemoFolder.DEFAULT + "/agreements",
        description = "the set in force (default ${DEFAULT-VALUE})")
    Path against;

    @Override
    public Integer call() {
      return dryRun(folder, against, Clock.systemUTC(), System.out, System.err);
    }
  }

  static int dryRun(Path proposed, Path inForce, Clock clock, PrintStream out, PrintStream err) {
    PolicySet next;
    PolicySet now;
    try {
      next = PolicyFolder.load(proposed, PolicyFolder.Options.LENIENT, LocalDate.now(clock)).set();
      now = PolicyFolder.load(inForce, PolicyFolder.Options.LENIENT, LocalDate.now(clock)).set();
    } catch (PolicyException e) {
      e.getMessage().lines().forEach(l -> err.println("error: " + l));
      return 1;
    }
    Instant at = clock.instant();
    List<SyntheticPerson> people = SyntheticPopulation.generate(Demo.PEOPLE, Demo.SEED);
    Map<String, int[]> before = new TreeMap<>();
    Map<String, int[]> after = new TreeMap<>();
    int changed = 0;
    for (DemoClient client : DemoClient.values()) {
      for (String purpose : client.purposes) {
        for (OdsCode provider : DEMO_PROVIDERS) {
          String key = client.id + " " + purpose + " from " + provider;
          for (SyntheticPerson person : people) {
            DecisionRequest request = request(client, purpose, provider, person, at);
            Decision a = now.decide(request);
            Decision b = next.decide(request);
            count(before, key, a);
            count(after, key, b);
            if (a.permitted() != b.permitted()) {
              changed++;
            }
          }
        }
      }
    }
    out.println(
        "Dry run: "
            + people.size()
            + " synthetic people x every demo client, purpose and provider; permitted before -> after");
    for (String key : before.keySet()) {
      int[] b = before.get(key);
      int[] a = after.get(key);
      String mark = b[0] == a[0] ? "  " : "* ";
      out.println(mark + key + ": " + b[0] + " -> " + a[0] + " of " + people.size());
    }
    out.println(changed + " decisions would change");
    return 0;
  }

  private static DecisionRequest request(
      DemoClient client, String purpose, OdsCode provider, SyntheticPerson person, Instant at) {
    DecisionRequest request =
        DecisionRequest.of(
                OdsCode.of(client.organisation),
                client.role,
                PurposeOfUse.of(purpose),
                person.nhsNumber(),
                provider,
                at)
            .withFacts(DemoRegister.facts(person));
    // An emergency purpose is asked with a stated reason, as the demo client would.
    return purpose.equals("ETREAT")
        ? request.withEmergencyReason(Optional.of("dry run: emergency"))
        : request;
  }

  private static void count(Map<String, int[]> counts, String key, Decision d) {
    counts.computeIfAbsent(key, k -> new int[1])[0] += d.permitted() ? 1 : 0;
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = "Sign agreement files with an IG key, writing FILE.jws beside each.")
  static final class Sign implements Callable<Integer> {
    @Option(names = "--key", required = true, description = "the IG private key (PEM)")
    Path key;

    @Parameters(description = "agreement files to sign")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      SigningKey signer = SigningKey.readPrivatePem(key);
      for (Path file : files) {
        byte[] bytes = Files.readAllBytes(file);
        // Only a file that parses is worth an IG signature.
        AgreementFile.parse(file.getFileName().toString(), bytes);
        Path signature = file.resolveSibling(file.getFileName() + PolicyFolder.SIGNATURE_SUFFIX);
        Files.writeString(
            signature,
            signer.signDetached(AgreementSignatures.TYPE, bytes),
            StandardCharsets.US_ASCII);
        System.out.println("signed " + file + " -> " + signature.getFileName());
      }
      return 0;
    }
  }
}
