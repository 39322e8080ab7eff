package org.placeshare.ops;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.placeshare.gateway.Gateway;
import org.placeshare.gateway.config.GatewayConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The operator's command line: {@code java -jar ops/target/placeshare.jar COMMAND}. */
@Command(
    name = "placeshare",
    mixinStandardHelpOptions = true,
    subcommands = {
      Ops.DemoCommand.class,
      Ops.GatewayCommand.class,
      TokenCommand.class,
      PolicyCommand.class,
      ConsentCommand.class,
      KeygenCommand.class,
      AuditCommand.class,
      CohortCommand.class,
      NotificationsCommand.class,
      WitnessCommand.class
    },
    description = "Placeshare: a cross-agency data-sharing gateway keyed on the NHS number.")
public final class Ops {

  public static void main(String[] args) {
    JsonLogFormatter.install();
    System.exit(
        new CommandLine(new Ops())
            // An operator's mistake (a missing file, a key in the way) is a message, not a trace.
            .setExecutionExceptionHandler(
                (e, command, parsed) -> {
                  // Some exceptions have no message (a refused connection): name the kind then.
                  String message =
                      e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                  command.getErr().println(command.getCommandName() + ": " + message);
                  return 1;
                })
            .execute(args));
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description = "Run the demo: synthetic sources, model agreements, the gateway.")
  static final class DemoCommand implements Callable<Integer> {
    @Option(
        names = "--folder",
        defaultValue = DemoFolder.DEFAULT,
        description = "demo folder (default ${DEFAULT-VALUE})")
    Path folder;

    @Option(
        names = "--port",
        defaultValue = "8080",
        description = "gateway port (default ${DEFAULT-VALUE})")
    int port;

    @Option(
        names = "--down",
        description = "a source to leave stopped (gp-y90001, acute-r9a, council-asc); repeatable")
    Set<String> down = Set.of();

    @Option(
        names = "--people",
        defaultValue = "50",
        description =
            "synthetic people the sources hold, 50 to 100000 (default ${DEFAULT-VALUE}); the"
                + " council's caseload is all of them")
    int people;

    @Option(
        names = "--cohort-concurrency",
        defaultValue = "8",
        description =
            "cohort members a bulk job decides and fetches at once, 1 to 256 (default"
                + " ${DEFAULT-VALUE}, the gateway's): for the cohort export benchmark")
    int cohortConcurrency;

    @Override
    public Integer call() throws Exception {
      Clock clock = Clock.systemUTC();
      Demo demo =
          Demo.start(
              new DemoFolder(folder), "127.0.0.1", port, clock, down, people, cohortConcurrency);
      GracefulStop.install("demo", demo::close);
      demo.printWelcome(System.out, clock);
      demo.printTellUsOnce(System.out, clock);
      new CountDownLatch(1).await();
      return 0;
    }
  }

  @Command(
      name = "gateway",
      mixinStandardHelpOptions = true,
      description = "Run the gateway from a configuration file.")
  static final class GatewayCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the gateway configuration (YAML)")
    Path config;

    @Override
    public Integer call() throws Exception {
      Vertx vertx = Vertx.vertx();
      Gateway gateway;
      try {
        gateway =
            Gateway.start(vertx, GatewayConfig.load(config), Clock.systemUTC())
                .await(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("gateway did not start: " + e.getMessage());
        vertx.close();
        return 1;
      }
      // On Ctrl-C or SIGTERM: stop listening, close the database, stop an embedded server. Each
      // awaited on its own: a listener chained after vertx.close() never runs (its context is
      // closed), which made every stop wait out the whole timeout.
      GracefulStop.install(
          "gateway",
          () -> {
            gateway.stop().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            vertx.close().await(Gateway.STOP_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
          });
      new CountDownLatch(1).await();
      return 0;
    }
  }
}
