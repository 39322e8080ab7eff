package org.placeshare.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.placeshare.policy.Consent;
import org.placeshare.policy.ConsentMethod;
import org.placeshare.policy.NhsNumber;
import org.placeshare.policy.OdsCode;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ConsentTokens;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Consent tokens for demos and tests, minted as a consent recorder would with its own key. */
@Command(
    name = "consent",
    mixinStandardHelpOptions = true,
    description = "Consent tokens.",
    subcommands = {ConsentCommand.Issue.class})
final class ConsentCommand {

  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description = "Print a consent token signed with an issuer's key.")
  static final class Issue implements Callable<Integer> {
    @Option(names = "--key", required = true, description = "the issuer's private key (PEM)")
    Path key;

    @Option(names = "--issuer", required = true, description = "the issuer's ODS code")
    String issuer;

    @Option(names = "--patient", required = true, description = "the person's NHS number")
    String patient;

    @Option(names = "--recipient", required = true, description = "an ODS code; repeatable")
    List<String> recipients;

    @Option(names = "--purpose", required = true, description = "e.g. TREAT; repeatable")
    List<String> purposes;

    @Option(
        names = "--scope",
        defaultValue = Consent.ALL_DATA,
        description = "FHIR resource type, or * for all an agreement shares; repeatable")
    List<String> scopes;

    @Option(
        names = "--method",
        defaultValue = "verbal",
        description = "written, verbal or digital (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--recorded-by", defaultValue = "demo-recorder", description = "user id")
    String recordedBy;

    @Option(names = "--days", defaultValue = "365", description = "validity (default 365)")
    int days;

    @Option(names = "--id", description = "the token's jti (default: a new UUID)")
    String id;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Instant now = Instant.now();
      Consent consent =
          new Consent(
              id == null ? UUID.randomUUID().toString() : id,
              OdsCode.of(issuer),
              NhsNumber.parse(patient),
              recipients.stream().map(OdsCode::of).collect(Collectors.toSet()),
              purposes.stream().map(PurposeOfUse::of).collect(Collectors.toSet()),
              Set.copyOf(scopes),
              ConsentMethod.of(method)
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              "--method: expected written, verbal or digital")),
              recordedBy,
              now,
              now.plus(Duration.ofDays(days)));
      spec.commandLine()
          .getOut()
          .println(ConsentTokens.sign(SigningKey.readPrivatePem(key), consent, now));
      return 0;
    }
  }
}
