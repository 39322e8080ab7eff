package org.placeshare.gateway;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Runs the gateway from a configuration file: {@code java -jar gateway.jar config.yaml}. */
public final class Main {

  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: gateway CONFIG.yaml");
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx();
    Gateway gateway;
    try {
      gateway =
          Gateway.start(vertx, GatewayConfig.load(Path.of(args[0])), Clock.systemUTC())
              .await(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("gateway did not start: " + e.getMessage());
      vertx.close();
      System.exit(1);
      return;
    }
    stopOnExit(vertx, gateway);
    new CountDownLatch(1).await();
  }

  /** On Ctrl-C or SIGTERM: stop listening, close the database, stop an embedded server. */
  public static void stopOnExit(Vertx vertx, Gateway gateway) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    gateway.stop().eventually(vertx::close).await(30, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    System.err.println("gateway did not stop cleanly: " + e.getMessage());
                  }
                }));
  }
}
