package org.placeshare.ops;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.placeshare.gateway.audit.AuditExport;
import org.placeshare.gateway.audit.AuditVerifier;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
              + " leaf hash, the tree roots. Exit 0 when it verifies, 1 naming the first problem.")
  static final class Verify implements Callable<Integer> {
    @Option(names = "--key", required = true, description = "the audit key's public half (PEM)")
    Path key;

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
      AuditVerifier.Report report =
          AuditVerifier.verify(
              contents.leaves().iterator(), contents.checkpoints(), SigningKey.readPublicPem(key));
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
