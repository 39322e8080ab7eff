package org.placeshare.ops;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.gateway.audit.NoteVerifierKey;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The audit log, checked by anyone holding the audit key's public half. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "The tamper-evident audit log.",
    subcommands = {AuditCommand.Verify.class})
final class AuditCommand {

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check the audit log with the audit public key: checkpoint signatures, every event's"
              + " leaf hash, the tree roots; with --note-key, the checkpoints signed as C2SP"
              + " notes too. Exit 0 when it verifies, 1 naming the first problem.")
  static final class Verify implements Callable<Integer> {
    /** A verifier key is one short line; a bigger file is not one. */
    @Option(names = "--key", required = true, description = "the audit key's public half (PEM)")
    Path key;

    @Option(
        names = "--note-key",
        paramLabel = "FILE.vkey",
        description =
            "the audit note verifier key (name+hash+key, as keygen and the demo write it to"
                + " keys/audit-note.vkey): every checkpoint note must verify with it and match the"
                + " events; the log must have notes")
    Path noteKey;

    @Option(
        names = "--witness-key",
        paramLabel = "FILE.vkey",
        description =
            "a witness's cosigner verifier key (name+hash+key, type 0x04), repeatable: every"
                + " cosignature by it on the notes must verify; needs --note-key")
    List<Path> witnessKeys = new ArrayList<>();

    @Option(
        names = "--witness-quorum",
        paramLabel = "K",
        description =
            "how many of the witnesses given make a checkpoint note witnessed (default: all of"
                + " them); the summary says up to which size the log is witnessed")
    Integer witnessQuorum;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
      @Option(names = "--export", description = "an export from GET /audit/export")
      Path export;

      @Option(names = "--database", description = "a postgresql:// URL of the gateway's database")
      String database;
    }

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      AuditExport.Contents contents =
          source.export != null ? AuditExport.read(source.export) : fromDatabase(source.database);
      Optional<NoteVerifierKey> notes =
          noteKey == null ? Optional.empty() : Optional.of(NoteVerifierKey.read(noteKey));
      if (notes.isPresent() && notes.get().type() != NoteVerifierKey.Type.ED25519) {
        throw new ParameterException(
            spec.commandLine(),
            "--note-key: " + notes.get().name() + " is a witness's key (type 0x04), not the log's");
      }
      if (witnessQuorum != null && witnessKeys.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--witness-quorum needs --witness-key");
      }
      if (!witnessKeys.isEmpty() && noteKey == null) {
        throw new ParameterException(
            spec.commandLine(),
            "--witness-key needs --note-key: cosignatures are checked on the log's notes");
      }
      List<NoteVerifierKey> witnesses = new ArrayList<>();
      for (Path file : witnessKeys) {
        witnesses.add(NoteVerifierKey.read(file));
      }
      AuditVerifier.Witnesses witnessing;
      try {
        witnessing =
            new AuditVerifier.Witnesses(
                witnesses, witnessQuorum != null ? witnessQuorum : witnesses.size());
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      AuditVerifier.Report report =
          AuditVerifier.verify(
              contents.leaves().iterator(),
              contents.checkpoints(),
              SigningKey.readPublicPem(key),
              contents.notes(),
              notes,
              witnessing);
      PrintWriter out = report.intact() ? spec.commandLine().getOut() : spec.commandLine().getErr();
      out.println(report.summary());
      out.flush();
      return report.intact() ? 0 : 1;
    }

    private static AuditExport.Contents fromDatabase(String url) {
      Vertx vertx = Vertx.vertx();
      try {
        Pool pool =
            PgBuilder.pool().connectingTo(PgConnectOptions.fromUri(url)).using(vertx).build();
        try {
          return AuditExport.read(pool).await();
        } finally {
          pool.close().await();
        }
      } finally {
        vertx.close().await();
      }
    }
  }
}
