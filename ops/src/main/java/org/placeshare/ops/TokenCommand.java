package org.placeshare.ops;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.placeshare.policy.PurposeOfUse;
import org.placeshare.policy.identity.ClientAssertions;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Gets an access token for a demo client the way a client system does: signs a client assertion
 * with the client's key and exchanges it at the gateway's token endpoint.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = {
      "Print a fresh access token for one of the demo's client systems, got as that system gets"
          + " one: a client assertion signed with its key (FOLDER/keys/clients/CLIENT.key.pem),"
          + " exchanged at the gateway's token endpoint (POST /oauth2/token). The demo must be"
          + " running.",
      "The token lasts five minutes and speaks for the client's organisation, user and role"
          + " listed below, for the purpose asked; the gateway refuses a purpose the client is not"
          + " registered for."
    },
    footer = {
      "%nDemo clients:",
      "  CLIENT            ORG        USER         ROLE               PURPOSES",
      "  council-intel     E08000026  a.analyst    analyst            HOPERAT, PUBHLTH",
      "  coventry-ae       R9A        dr.jones     clinician          TREAT, ETREAT",
      "  coventry-frailty  R9A        nurse.patel  frailty-clinician  TREAT, ETREAT",
      "  ig-console        QWU        ig.lead      ig-lead            HOPERAT",
      "  council-steward   E08000026  c.steward    data-steward       HOPERAT",
      "  police-steward    NPF01      p.steward    data-steward       HOPERAT",
      "  council-safeguarding  E08000026  s.worker  safeguarding-practitioner  HOPERAT",
      "  council-events    E08000026  c.events     event-reporter     HOPERAT",
      "  gp-notify         Y90001     gp.admin     subscriber         HOPERAT",
      "  housing-notify    GHA01      h.officer    subscriber         HOPERAT",
      "  police-notify     NPF01      p.officer    subscriber         HOPERAT",
      "%nExit status: 0 when the token is printed, 1 when the gateway refused or could not be"
          + " reached, 2 for a wrong option or an unknown client."
    })
final class TokenCommand implements Callable<Integer> {

  @Option(
      names = "--client",
      required = true,
      completionCandidates = DemoClient.Ids.class,
      description = "the demo client: ${COMPLETION-CANDIDATES}")
  String client;

  @Option(
      names = "--purpose",
      required = true,
      description = "the purpose of use (HL7 PurposeOfUse), one the client is registered for")
  String purpose;

  @Option(
      names = "--folder",
      defaultValue = DemoFolder.DEFAULT,
      description = "the demo folder holding the clients' keys (default ${DEFAULT-VALUE})")
  Path folder;

  @Option(
      names = "--gateway",
      defaultValue = "http://127.0.0.1:8080",
      description = "the gateway's URL (default ${DEFAULT-VALUE})")
  String gateway;

  @Override
  public Integer call() throws Exception {
    DemoClient demoClient = DemoClient.byId(client).orElse(null);
    if (demoClient == null) {
      System.err.println(
          "unknown client '"
              + client
              + "': expected one of "
              + String.join(", ", new DemoClient.Ids()));
      return 2;
    }
    System.out.println(
        fetch(new DemoFolder(folder), gateway, demoClient, purpose, Clock.systemUTC()));
    return 0;
  }

  static String fetch(
      DemoFolder folder, String gateway, DemoClient client, String purpose, Clock clock)
      throws Exception {
    String assertion =
        ClientAssertions.sign(
            SigningKey.readPrivatePem(folder.clientKey(client.id)),
            client.id,
            gateway + "/oauth2/token",
            client.user,
            client.role,
            PurposeOfUse.of(purpose),
            clock);
    String form =
        "grant_type=client_credentials&client_assertion_type="
            + URLEncoder.encode(
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", StandardCharsets.UTF_8)
            + "&client_assertion="
            + assertion;
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(gateway + "/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonObject body = new JsonObject(response.body());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "token endpoint answered "
              + response.statusCode()
              + ": "
              + body.getString("error_description"));
    }
    return body.getString("access_token");
  }
}
