package org.placeshare.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AdmissionTest {

  @Test
  void beyondTheCap_theAnswerIsA503WithRetryAfter_andTheCapFreesAsRequestsEnd() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Admission admission =
          new Admission(
              1,
              true,
              new org.placeshare.gateway.observability.Metrics(),
              java.time.Clock.systemUTC());
      Router router = Router.router(vertx);
      router.route().handler(admission::handle);
      // The first request is held inside until the test has seen the second refused: the cap is
      // full for as long as the test needs, however slow the machine.
      CountDownLatch inside = new CountDownLatch(1);
      Promise<Void> letGo = Promise.promise();
      router
          .get("/slow")
          .handler(
              ctx -> {
                inside.countDown();
                letGo.future().onComplete(x -> ctx.response().end("done"));
              });
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0).await();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      HttpRequest slow =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + "/slow"))
              .build();

      CompletableFuture<HttpResponse<String>> first =
          http.sendAsync(slow, HttpResponse.BodyHandlers.ofString());
      assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> second = http.send(slow, HttpResponse.BodyHandlers.ofString());
      letGo.complete();

      assertThat(second.statusCode()).isEqualTo(503);
      assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(second.body()).contains("try again in a second");
      assertThat(first.get().statusCode()).isEqualTo(200);
      assertThat(first.get().headers().firstValue("Strict-Transport-Security")).isPresent();
      // Freed when the server has finished the response, a moment after the client has it.
      for (int i = 0; i < 500 && admission.inFlight() > 0; i++) {
        Thread.sleep(10);
      }
      assertThat(admission.inFlight()).isZero();
      assertThat(http.send(slow, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      server.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
