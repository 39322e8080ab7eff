package org.placeshare.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.placeshare.policy.NhsNumber;

/**
 * Tell us once in the demo (issue 19, docs/notifications.md): a receiver for each of three agencies
 * in the demo's process on loopback ({@link DemoReceiver}), their subscriptions, made at start as
 * the printed curl lines make them, and the lines that report a change of address at the council.
 * The GP practice and the housing association are told under the tell-us-once agreement; the police
 * try to subscribe too and are refused (403): no agreement names them a recipient, so their token
 * is granted no Patient scope, and a notification names the person.
 *
 * <p>The demo's data are kept across runs, and its receivers take new ports at each start: the
 * cohorts and subscriptions made at the last start (listed in {@link DemoFolder#tellUsOnce()}) are
 * ended at the next, so that each change is told once to each agency.
 */
final class DemoTellUsOnce implements AutoCloseable {

  /** One agency that subscribes: its client, its receiver's path, what it asks to hear of. */
  record Subscriber(
      DemoClient client, String name, String path, List<String> kinds, boolean cohort) {

    /** Its criteria: its cohort's members, or the people it has a care relationship with. */
    String criteria(Optional<String> group) {
      return "Patient?_event="
          + String.join(",", kinds)
          + "&_cohort="
          + group.map(id -> "Group/" + id).orElse("care-relationship");
    }
  }

  /** The GP practice knows its registered patients; the others register who they care about. */
  static final Subscriber GP =
      new Subscriber(
          DemoClient.GP_NOTIFY,
          "GP practice Y90001",
          "/gp",
          List.of("address-changed", "died", "gp-changed"),
          false);

  static final Subscriber HOUSING =
      new Subscriber(
          DemoClient.HOUSING_NOTIFY,
          "housing association GHA01",
          "/housing",
          List.of("address-changed", "died"),
          true);

  /**
   * Registers a cohort, but its subscription is refused: no agreement names the police a recipient,
   * so their token carries {@code system/Group.rs} alone, and subscribing needs {@code Patient}.
   */
  static final Subscriber POLICE =
      new Subscriber(
          DemoClient.POLICE_NOTIFY,
          "police NPF01",
          "/police",
          List.of("address-changed", "died"),
          true);

  static final List<Subscriber> SUBSCRIBERS = List.of(GP, HOUSING, POLICE);

  /** Every demo client here asks for the purpose tell-us-once names. */
  static final String PURPOSE = "HOPERAT";

  /** One HTTP call, sent at start and printed as the same curl line with a fresh token. */
  record Call(String method, String path, String contentType, String body) {

    HttpResponse<String> send(HttpClient http, String base, String token) throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + path))
              .header("Authorization", "Bearer " + token);
      if (body != null) {
        request.header("Content-Type", contentType);
      }
      request.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(body));
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    String curl(String base, String token) {
      String auth = "-H 'Authorization: Bearer " + token + "' ";
      if (body != null) {
        return Demo.CURL
            + auth
            + "-H 'Content-Type: "
            + contentType
            + "' "
            + base
            + path
            + " -d '"
            + body
            + "'";
      }
      return Demo.CURL
          + (method.equals("GET") ? "" : "-X " + method + " ")
          + auth
          + "'"
          + base
          + path
          + "'";
    }
  }

  private final DemoFolder folder;
  private final String base;
  private final NhsNumber person;
  private final String eventId;
  private final Map<Subscriber, DemoReceiver> receivers;
  private final Map<Subscriber, String> cohorts;
  private final Map<Subscriber, String> subscriptions;

  private DemoTellUsOnce(
      DemoFolder folder,
      String base,
      NhsNumber person,
      String eventId,
      Map<Subscriber, DemoReceiver> receivers,
      Map<Subscriber, String> cohorts,
      Map<Subscriber, String> subscriptions) {
    this.folder = folder;
    this.base = base;
    this.person = person;
    this.eventId = eventId;
    this.receivers = receivers;
    this.cohorts = cohorts;
    this.subscriptions = subscriptions;
  }

  /**
   * Ends the last start's cohorts and subscriptions, starts the receivers (printing to {@code out})
   * and subscribes each agency to hear of changes about {@code person}.
   */
  static DemoTellUsOnce start(
      DemoFolder folder, String base, NhsNumber person, Clock clock, PrintStream out)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    forgetLastStart(http, folder, base, clock);
    Map<Subscriber, DemoReceiver> receivers = new LinkedHashMap<>();
    try {
      for (Subscriber s : SUBSCRIBERS) {
        receivers.put(
            s,
            DemoReceiver.start(
                s.name(),
                s.path(),
                URI.create(base),
                () -> TokenCommand.fetch(folder, base, s.client(), PURPOSE, clock),
                clock,
                out));
      }
      Map<Subscriber, String> cohorts = new LinkedHashMap<>();
      Map<Subscriber, String> subscriptions = new LinkedHashMap<>();
      JsonObject state = new JsonObject();
      for (Subscriber s : SUBSCRIBERS) {
        String token = TokenCommand.fetch(folder, base, s.client(), PURPOSE, clock);
        Optional<String> group = Optional.empty();
        if (s.cohort()) {
          group = Optional.of(created(registerCohort(person, s).send(http, base, token), "Group"));
          cohorts.put(s, group.get());
        }
        HttpResponse<String> subscribed =
            subscribe(s, group, receivers.get(s).endpoint()).send(http, base, token);
        String id =
            s == POLICE ? refused(subscribed, "Subscription") : created(subscribed, "Subscription");
        if (id != null) {
          subscriptions.put(s, id);
          receivers.get(s).subscribed(id);
        }
        state.put(
            s.client().id,
            new JsonObject().put("subscription", id).put("group", group.orElse(null)));
        // Written as it goes: a start that fails half way still ends what it made, next time.
        Files.writeString(folder.tellUsOnce(), state.encodePrettily());
      }
      // Unique to this start: the demo's data outlive it, and an event id is used once. In base
      // 36, as an event id may not hold 10 digits in a row (it could be an NHS number).
      String eventId = "demo-move-" + Long.toString(clock.millis(), Character.MAX_RADIX);
      return new DemoTellUsOnce(folder, base, person, eventId, receivers, cohorts, subscriptions);
    } catch (Exception e) {
      receivers.values().forEach(DemoReceiver::close);
      throw e;
    }
  }

  /**
   * Deletes the cohorts and subscriptions the last start made (their receivers are gone), each as
   * the client that made it; one already gone (404) is fine.
   */
  private static void forgetLastStart(HttpClient http, DemoFolder folder, String base, Clock clock)
      throws Exception {
    if (!Files.exists(folder.tellUsOnce())) {
      return;
    }
    JsonObject state = new JsonObject(Files.readString(folder.tellUsOnce()));
    for (Subscriber s : SUBSCRIBERS) {
      JsonObject made = state.getJsonObject(s.client().id);
      if (made == null) {
        continue;
      }
      String token = TokenCommand.fetch(folder, base, s.client(), PURPOSE, clock);
      if (made.getString("subscription") != null) {
        new Call("DELETE", "/fhir/Subscription/" + made.getString("subscription"), null, null)
            .send(http, base, token);
      }
      if (made.getString("group") != null) {
        new Call("DELETE", "/fhir/Group/" + made.getString("group"), null, null)
            .send(http, base, token);
      }
    }
    Files.delete(folder.tellUsOnce());
  }

  private static String created(HttpResponse<String> response, String what) {
    if (response.statusCode() != 201) {
      throw new IllegalStateException(
          "the demo's " + what + " was not made: " + CohortCommand.problem(response));
    }
    return new JsonObject(response.body()).getString("id");
  }

  /** Null, for a call the gateway must refuse (403); anything else fails the start. */
  private static String refused(HttpResponse<String> response, String what) {
    if (response.statusCode() != 403) {
      throw new IllegalStateException(
          "the demo's "
              + what
              + " should have been refused (403), got "
              + response.statusCode()
              + ": "
              + CohortCommand.problem(response));
    }
    return null;
  }

  /** An agency registers the person as its cohort (a tenant, a person known to it). */
  static Call registerCohort(NhsNumber person, Subscriber s) {
    return new Call(
        "POST",
        "/fhir/Group",
        "application/fhir+json",
        CohortCommand.group(List.of(person.toString()), "people " + s.name() + " supports"));
  }

  static Call subscribe(Subscriber s, Optional<String> group, URI endpoint) {
    JsonObject subscription =
        new JsonObject()
            .put("resourceType", "Subscription")
            .put("status", "requested")
            .put("reason", "tell us once")
            .put("criteria", s.criteria(group))
            .put(
                "channel",
                new JsonObject()
                    .put("type", "rest-hook")
                    .put("endpoint", endpoint.toString())
                    .put("payload", "application/fhir+json"));
    return new Call("POST", "/fhir/Subscription", "application/fhir+json", subscription.encode());
  }

  /** The council reports that the person has moved. */
  Call reportMove(Clock clock) {
    JsonObject event =
        new JsonObject()
            .put("id", eventId)
            .put("kind", "address-changed")
            .put("nhsNumber", person.toString())
            .put("source", Demo.COUNCIL_SOURCE)
            .put("occurredAt", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString())
            .put(
                "change",
                new JsonObject()
                    .put("postcode", "CV1 5RR")
                    .put("lines", new JsonArray().add("4 Priory Row").add("Coventry"))
                    .put("uprn", "100071234567"));
    return new Call("POST", "/events", "application/json", event.encode());
  }

  DemoReceiver receiver(Subscriber s) {
    return receivers.get(s);
  }

  /** The id of the subscription the demo made for this agency at start. */
  String subscription(Subscriber s) {
    return subscriptions.get(s);
  }

  String eventId() {
    return eventId;
  }

  /** The lines a newcomer runs: subscribe (already done), report a move, read the audit. */
  void print(PrintStream out, Clock clock) throws Exception {
    String housing = TokenCommand.fetch(folder, base, HOUSING.client(), PURPOSE, clock);
    String council = TokenCommand.fetch(folder, base, DemoClient.COUNCIL_EVENTS, PURPOSE, clock);
    String ig = TokenCommand.fetch(folder, base, DemoClient.IG_CONSOLE, PURPOSE, clock);
    out.println();
    out.println(
        "# Tell us once (docs/notifications.md): the council reports a change about a person once,"
            + " and each agency an agreement lets hear of it is told.");
    out.println(
        "# Receivers run in this process: the GP practice (Y90001) at "
            + receivers.get(GP).endpoint()
            + ", the housing association (GHA01) at "
            + receivers.get(HOUSING).endpoint()
            + ", the police (NPF01) at "
            + receivers.get(POLICE).endpoint()
            + ";");
    out.println(
        "# each checks the X-Placeshare-Signature against the gateway's JWKS, that the notification"
            + " is addressed to it and to one of its subscriptions, and not seen before (its"
            + " Bundle.id), and prints a line per notification. The demo subscribed the first two"
            + " at start, as these lines do (run again, a subscription is refused as a duplicate,"
            + " 409; DELETE /fhir/Subscription/{id} ends one, and the line then makes it again):");
    out.println(
        "# 201: the housing association (housing-notify, subscriber) registers its tenant "
            + person.formatted()
            + " as a cohort (Group)");
    out.println(registerCohort(person, HOUSING).curl(base, housing));
    out.println(
        "# 409 now (201 at start): and subscribes to moves and deaths of its cohort (Group "
            + cohorts.get(HOUSING)
            + ", registered at start) at its receiver");
    out.println(
        subscribe(HOUSING, Optional.of(cohorts.get(HOUSING)), receivers.get(HOUSING).endpoint())
            .curl(base, housing));
    out.println(
        "# 409 now (201 at start): the GP practice (gp-notify) subscribes to moves, deaths and changes of practice of"
            + " the people registered with it (_cohort=care-relationship)");
    out.println(
        subscribe(GP, Optional.empty(), receivers.get(GP).endpoint())
            .curl(base, TokenCommand.fetch(folder, base, GP.client(), PURPOSE, clock)));
    out.println(
        "# 403: the police (police-notify) try to subscribe to moves and deaths of their cohort (Group "
            + cohorts.get(POLICE)
            + "): no agreement names them a recipient, so their token is granted system/Group.rs"
            + " alone, and a notification names the person (system/Patient.rs)");
    out.println(
        subscribe(POLICE, Optional.of(cohorts.get(POLICE)), receivers.get(POLICE).endpoint())
            .curl(base, TokenCommand.fetch(folder, base, POLICE.client(), PURPOSE, clock)));
    out.println(
        "# 201: the council (council-events, event-reporter) reports that "
            + person.formatted()
            + " has moved (run it again: 200, the same event, nothing sent twice)");
    out.println(reportMove(clock).curl(base, council));
    out.println(
        "# Within a second or two this process prints a line for the GP practice and one for the"
            + " housing association, e.g.");
    out.println(
        "#   [tell us once] housing association GHA01: address-changed, event "
            + eventId
            + ", signature ok, first delivery");
    out.println(
        "# and none for the police: they could not subscribe. (A subscriber an agreement names,"
            + " but whose notifications clause leaves a kind out, is refused at delivery, audited.)");
    out.println(
        "# 200: IG lead: the deliveries in the person's audit trail (add &decision=refused for any"
            + " refused)");
    out.println(
        new Call(
                "GET",
                "/audit/events?patient=" + person + "&action=notification-deliver",
                null,
                null)
            .curl(base, ig));
    out.println(
        "# Fresh tokens: java -jar ops/target/placeshare.jar token --client council-events"
            + " --purpose HOPERAT (or housing-notify, gp-notify, police-notify)");
    out.println();
    out.println("Notifications are printed below as they are delivered.");
  }

  @Override
  public void close() {
    receivers.values().forEach(DemoReceiver::close);
  }
}
