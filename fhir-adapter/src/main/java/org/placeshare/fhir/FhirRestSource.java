package org.placeshare.fhir;

import ca.uhn.fhir.parser.DataFormatException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.policy.NhsNumber;

/**
 * A source that speaks FHIR R4 over REST: finds the patient by NHS number identifier, then searches
 * each resource type in scope by patient. Non-blocking; bodies are capped while they arrive and
 * parsed off the event loop; the whole fetch has one deadline. The upstream is untrusted input.
 */
public final class FhirRestSource implements RecordSource {

  /** Largest body read from an upstream; a longer one is cut off and the fetch fails. */
  public static final int MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

  /** Most resources of one type taken from one source for one person. */
  public static final int MAX_RESOURCES_PER_TYPE = 500;

  /** Entries asked for per page; servers may send fewer, and the next link brings the rest. */
  static final int PAGE_SIZE = 100;

  /**
   * Most pages read for one search, whatever the deadline allows: {@link #MAX_RESOURCES_PER_TYPE}
   * at ten a page. A source whose next links never end (or loop) fails after this many requests.
   */
  public static final int MAX_PAGES_PER_SEARCH = 50;

  /** Retries of a read that failed on the way (connection, 502, 503, 504), within the deadline. */
  static final int MAX_RETRIES = 2;

  static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

  private final Vertx vertx;
  private final SourceDescriptor descriptor;
  private final HttpClientAgent client;
  private final SourceFetch fetches;

  private final SourceAccess access;

  public FhirRestSource(Vertx vertx, SourceDescriptor descriptor) {
    this(vertx, descriptor, SourceAccess.NONE);
  }

  public FhirRestSource(Vertx vertx, SourceDescriptor descriptor, SourceAccess access) {
    this.vertx = vertx;
    this.descriptor = descriptor;
    this.access = access;
    this.fetches = new SourceFetch(vertx, descriptor);
    this.client = access.client(vertx, descriptor.deadline());
  }

  @Override
  public SourceDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public Future<SourceRecords> fetch(
      NhsNumber patient, Set<String> resourceTypes, Optional<Instant> since) {
    return fetches.run(
        patient,
        () ->
            findPatient(patient)
                .compose(
                    found ->
                        found == null
                            ? Future.succeededFuture(notFound())
                            : records(found, resourceTypes, since)));
  }

  @Override
  public Optional<String> unavailable() {
    return fetches.unavailable();
  }

  private SourceRecords notFound() {
    return new SourceRecords.NotFound(descriptor);
  }

  private Future<Patient> findPatient(NhsNumber nhsNumber) {
    String identifier = Fhir.NHS_NUMBER_SYSTEM + "|" + nhsNumber;
    return search("Patient?identifier=" + URLEncoder.encode(identifier, StandardCharsets.UTF_8))
        .map(
            bundle -> {
              // Every Patient answering a search for one NHS number must be that one person.
              List<Resource> matches = resources(bundle, "Patient");
              if (matches.size() > 1) {
                throw new AboutThePerson.Conflict(
                    "it holds " + matches.size() + " Patients for one NHS number");
              }
              if (matches.isEmpty()) {
                return null;
              }
              Patient patient = (Patient) matches.get(0);
              AboutThePerson.requireThePerson(patient, nhsNumber);
              return patient;
            });
  }

  private Future<SourceRecords> records(
      Patient patient, Set<String> resourceTypes, Optional<Instant> since) {
    String patientId = patient.getIdElement().getIdPart();
    if (patientId == null) {
      return Future.failedFuture(new UpstreamException("returned a Patient without an id"));
    }
    List<Future<List<Resource>>> searches = new ArrayList<>();
    for (String type : descriptor.resourceTypes()) {
      if (!type.equals("Patient") && resourceTypes.contains(type)) {
        String query = type + "?patient=" + URLEncoder.encode(patientId, StandardCharsets.UTF_8);
        String changed =
            since
                .map(t -> "&_lastUpdated=" + URLEncoder.encode("ge" + t, StandardCharsets.UTF_8))
                .orElse("");
        searches.add(
            searchAll(query + changed + "&_count=" + PAGE_SIZE, type)
                .map(found -> changedSince(found, since)));
      }
    }
    return Future.all(searches)
        .map(
            all -> {
              List<Resource> resources = new ArrayList<>();
              all.<List<Resource>>list().forEach(resources::addAll);
              return new SourceRecords.Found(descriptor, patient, resources);
            });
  }

  /**
   * Drops what a source says changed before {@code since}: not every server honours {@code
   * _lastUpdated}. A resource without {@code meta.lastUpdated} cannot be ruled out, so stays.
   */
  private static List<Resource> changedSince(List<Resource> resources, Optional<Instant> since) {
    if (since.isEmpty()) {
      return resources;
    }
    // Instants compared, not Dates: Date.from throws for an Instant beyond Date's range.
    Instant from = since.get();
    return resources.stream()
        .filter(
            r ->
                r.getMeta().getLastUpdated() == null
                    || !r.getMeta().getLastUpdated().toInstant().isBefore(from))
        .toList();
  }

  /** Entries of the wanted type; an upstream's stray types or an oversized page are refused. */
  private static List<Resource> resources(Bundle bundle, String type) {
    List<Resource> out = new ArrayList<>();
    for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
      Resource resource = entry.getResource();
      if (resource == null || !resource.fhirType().equals(type)) {
        continue; // OperationOutcome entries, _include extras: not asked for, not released.
      }
      if (out.size() == MAX_RESOURCES_PER_TYPE) {
        throw tooMany(type);
      }
      out.add(resource);
    }
    return out;
  }

  /**
   * Every page of a search: follows {@code Bundle.link} "next" while it stays on this source, up to
   * {@link #MAX_RESOURCES_PER_TYPE} resources and {@link #MAX_PAGES_PER_SEARCH} pages, and never to
   * a page already read.
   */
  private Future<List<Resource>> searchAll(String relative, String type) {
    return page(descriptor.base() + "/" + relative, type, new ArrayList<>(), new HashSet<>());
  }

  private Future<List<Resource>> page(
      String url, String type, List<Resource> sofar, Set<String> read) {
    read.add(url);
    return get(url)
        .compose(
            bundle -> {
              for (Resource r : resources(bundle, type)) {
                if (sofar.size() == MAX_RESOURCES_PER_TYPE) {
                  throw tooMany(type);
                }
                sofar.add(r);
              }
              Bundle.BundleLinkComponent next = bundle.getLink(Bundle.LINK_NEXT);
              if (next == null || next.getUrl() == null || next.getUrl().isBlank()) {
                return Future.succeededFuture(sofar);
              }
              if (sofar.size() == MAX_RESOURCES_PER_TYPE) {
                throw tooMany(type);
              }
              if (!sameOrigin(next.getUrl())) {
                throw new UpstreamException("sent a next-page link to another server");
              }
              if (read.contains(next.getUrl())) {
                throw new UpstreamException(
                    "sent a next-page link to a page of " + type + " already read (a paging loop)");
              }
              if (read.size() == MAX_PAGES_PER_SEARCH) {
                throw new UpstreamException(
                    "sent more than " + MAX_PAGES_PER_SEARCH + " pages of " + type);
              }
              return page(next.getUrl(), type, sofar, read);
            });
  }

  private static UpstreamException tooMany(String type) {
    return new UpstreamException(
        "returned more than " + MAX_RESOURCES_PER_TYPE + " " + type + " resources");
  }

  /** A next link is followed only to this source's own scheme, host and port. */
  private boolean sameOrigin(String url) {
    try {
      URI next = new URI(url);
      URI base = descriptor.baseUrl();
      return base.getScheme().equalsIgnoreCase(next.getScheme())
          && base.getHost().equalsIgnoreCase(next.getHost())
          && base.getPort() == next.getPort()
          && next.getUserInfo() == null;
    } catch (URISyntaxException | NullPointerException e) {
      return false;
    }
  }

  private Future<Bundle> search(String relative) {
    return get(descriptor.base() + "/" + relative);
  }

  /** A GET of one page, retried with backoff when it failed on the way, not when refused. */
  private Future<Bundle> get(String url) {
    return attempt(url, 0);
  }

  private Future<Bundle> attempt(String url, int tried) {
    return once(url)
        .recover(
            e -> {
              if (tried >= MAX_RETRIES || !(e instanceof Transient || isConnectionTrouble(e))) {
                return Future.failedFuture(e);
              }
              Promise<Bundle> retried = Promise.promise();
              long backoff = FIRST_BACKOFF.toMillis() << tried;
              vertx.setTimer(backoff, id -> attempt(url, tried + 1).onComplete(retried));
              return retried.future();
            });
  }

  private static boolean isConnectionTrouble(Throwable e) {
    return !(e instanceof UpstreamException);
  }

  private Future<Bundle> once(String url) {
    RequestOptions options =
        access.apply(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(url)
                .setFollowRedirects(false)
                .putHeader(HttpHeaders.ACCEPT, Fhir.JSON));
    return client
        .request(options)
        .compose(request -> request.send())
        .compose(
            response -> {
              int status = response.statusCode();
              if (status == 502 || status == 503 || status == 504) {
                return CappedBody.discard(response, MAX_RESPONSE_BYTES)
                    .transform(x -> Future.failedFuture(new Transient("answered HTTP " + status)));
              }
              return CappedBody.read(response, MAX_RESPONSE_BYTES, UpstreamException::new);
            })
        .compose(body -> vertx.executeBlocking(() -> parseBundle(body), false));
  }

  private static Bundle parseBundle(Buffer body) {
    try {
      return Fhir.json().parseResource(Bundle.class, body.toString(StandardCharsets.UTF_8));
    } catch (DataFormatException | ClassCastException e) {
      throw new UpstreamException("sent a reply that is not a FHIR R4 Bundle");
    }
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  /** An upstream that said it is busy or its own upstream failed: worth asking again. */
  static final class Transient extends UpstreamException {
    private static final long serialVersionUID = 1L;

    Transient(String message) {
      super(message);
    }
  }
}
