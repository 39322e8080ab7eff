package org.placeshare.fhir.mapped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.CappedBody;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceFetch;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.WithheldAnswer;
import org.placeshare.fhir.linkage.Link;
import org.placeshare.fhir.linkage.LinkLookup;
import org.placeshare.policy.NhsNumber;

/**
 * An agency that does not hold the NHS number: a JSON API that lists its people ({@link Roster},
 * read by the sync that traces them) and answers for one of its own ids, mapped to FHIR R4 by a
 * traced {@link SourceMapping}. A view asks the {@link LinkLookup} which of its ids are linked to
 * the NHS number, fetches each, and answers one Patient carrying that NHS number with the records
 * of all of them, naming the links; nothing unlinked is ever fetched for a view, and a linked
 * record whose demographics are no longer those its link was made on is left out with a warning.
 * Fetches run under the same deadline, breaker and person check as every other source ({@link
 * SourceFetch}).
 */
public final class TracedSource implements RecordSource, Roster {

  /** More of one agency's ids linked to one person than this is a register fault, not a person. */
  public static final int MAX_LINKS_PER_PERSON = 20;

  /** Largest lookup reply read; a longer one is cut off and the fetch fails. */
  static final int MAX_BODY_BYTES = MappedSource.MAX_BODY_BYTES;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final SourceDescriptor descriptor;
  private final Supplier<SourceMapping> mapping;
  private final SourceAccess access;
  private final LinkLookup links;
  private final HttpClientAgent client;
  private final SourceFetch fetches;
  private final Context context;

  /**
   * @param mapping the traced mapping in force, asked once per fetch or page (a reload takes over
   *     from the next)
   */
  public TracedSource(
      Vertx vertx,
      SourceDescriptor descriptor,
      Supplier<SourceMapping> mapping,
      SourceAccess access,
      LinkLookup links) {
    if (!mapping.get().traced()) {
      throw new IllegalArgumentException(
          "source " + descriptor.id() + ": expected a mapping with a roster, got one without");
    }
    this.vertx = vertx;
    this.descriptor = descriptor;
    this.mapping = mapping;
    this.access = access;
    this.links = links;
    this.client = access.client(vertx, descriptor.deadline());
    this.fetches = new SourceFetch(vertx, descriptor);
    this.context = vertx.getOrCreateContext();
  }

  public TracedSource(
      Vertx vertx,
      SourceDescriptor descriptor,
      SourceMapping mapping,
      SourceAccess access,
      LinkLookup links) {
    this(vertx, descriptor, () -> mapping, access, links);
  }

  @Override
  public SourceDescriptor descriptor() {
    return descriptor;
  }

  // ---- the roster

  /**
   * One page of the people the source holds. The cursor is opaque: the first page's is empty, each
   * next one is what the previous page named. Paging follows the page the reply names, only on the
   * source's own scheme, host and port, never to a page already read, and to at most the mapping's
   * {@code maxPages} pages, {@code maxPeople} people and {@code maxPageBytes} a page; each is a
   * failure of the roster, never a silent truncation. Each page must arrive whole within the
   * source's deadline.
   *
   * @throws IllegalArgumentException (as a failed future) for a cursor this source did not make
   */
  @Override
  public Future<RosterPage> page(Optional<String> cursor) {
    SourceMapping m = mapping.get();
    SourceMapping.RosterRule rule = m.roster().orElseThrow();
    RosterCursor at;
    try {
      at =
          cursor
              .map(RosterCursor::decode)
              .orElseGet(() -> RosterCursor.first(descriptor.base() + rule.path()));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    if (at.pagesRead() >= rule.maxPages()) {
      return Future.failedFuture(
          new UpstreamException("sent more than " + rule.maxPages() + " pages of its roster"));
    }
    // On the source's own context, as a fetch is, so a body handler is in place before the body.
    Promise<RosterPage> page = Promise.promise();
    context.runOnContext(
        v ->
            get(at.next(), rule.maxPageBytes())
                .compose(body -> vertx.executeBlocking(() -> rosterPage(m, rule, at, body), false))
                .onComplete(page));
    return page.future();
  }

  private RosterPage rosterPage(
      SourceMapping m, SourceMapping.RosterRule rule, RosterCursor at, Buffer body) {
    JsonNode json = json(body);
    JsonNode items = SourceMapping.field(json, rule.items());
    if (items == null || !items.isArray()) {
      throw new UpstreamException("sent a roster page without its list of people");
    }
    if (at.peopleRead() + items.size() > rule.maxPeople()) {
      throw new UpstreamException("listed more than " + rule.maxPeople() + " people");
    }
    List<RosterEntry> entries = new ArrayList<>();
    // One bad person is that person's problem (unusable, or without an id nothing to link), never
    // the page's.
    for (JsonNode item : items) {
      m.rosterEntry(item).ifPresent(entries::add);
    }
    Optional<String> next =
        rule.next()
            .map(path -> SourceMapping.text(json, path))
            .filter(text -> !text.isBlank())
            .map(text -> nextPage(text, at, rule));
    return new RosterPage(entries, next.map(url -> at.then(url, items.size()).encode()));
  }

  /** The next page's absolute URL, if it may be followed. */
  private String nextPage(String named, RosterCursor at, SourceMapping.RosterRule rule) {
    URI next;
    try {
      next = descriptor.baseUrl().resolve(new URI(named));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new UpstreamException("sent a next-page link that is not a URL");
    }
    String url = next.toString();
    if (!sameOrigin(next)) {
      throw new UpstreamException("sent a next-page link to another server");
    }
    if (url.equals(at.next()) || at.hasRead(url)) {
      throw new UpstreamException(
          "sent a next-page link to a page of its roster already read (a paging loop)");
    }
    if (at.pagesRead() + 1 >= rule.maxPages()) {
      throw new UpstreamException("sent more than " + rule.maxPages() + " pages of its roster");
    }
    return url;
  }

  /** A next page is followed only to this source's own scheme, host and port. */
  private boolean sameOrigin(URI next) {
    URI base = descriptor.baseUrl();
    return base.getScheme() != null
        && base.getScheme().equalsIgnoreCase(next.getScheme())
        && base.getHost() != null
        && base.getHost().equalsIgnoreCase(next.getHost())
        && port(base) == port(next)
        && next.getUserInfo() == null;
  }

  private static int port(URI uri) {
    if (uri.getPort() != -1) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  // ---- a person's records, through their links

  @Override
  public Future<SourceRecords> fetch(
      NhsNumber patient, Set<String> resourceTypes, Optional<Instant> since) {
    SourceMapping m = mapping.get();
    return fetches.run(
        patient,
        () ->
            links
                .linksTo(descriptor.id(), patient)
                .recover(
                    e ->
                        Future.failedFuture(
                            new UpstreamException(
                                "could not be traced (its links are unreadable)")))
                .compose(found -> linked(m, patient, found, resourceTypes)));
  }

  private Future<SourceRecords> linked(
      SourceMapping m, NhsNumber patient, List<Link> all, Set<String> types) {
    // Only this source's links to this person: the register is trusted, but cheaply checked.
    List<Link> linked =
        all.stream()
            .filter(l -> l.source().equals(descriptor.id()) && l.nhsNumber().equals(patient))
            .toList();
    Optional<String> trouble = links.tracingTrouble(descriptor.id());
    if (linked.isEmpty()) {
      return Future.succeededFuture(
          trouble
              .<SourceRecords>map(t -> new SourceRecords.Failed(descriptor, untraceable(t)))
              .orElseGet(() -> new SourceRecords.NotFound(descriptor)));
    }
    if (linked.size() > MAX_LINKS_PER_PERSON) {
      return Future.failedFuture(
          new UpstreamException(
              "has more than " + MAX_LINKS_PER_PERSON + " records linked to one person"));
    }
    // One Patient for all the person's records here, under the first link's id.
    String patientId = linked.get(0).localId();
    List<Future<Looked>> lookups = linked.stream().map(l -> lookup(m, l, patientId)).toList();
    return Future.all(lookups)
        .map(
            done -> {
              Patient thePatient = null;
              List<Resource> resources = new ArrayList<>();
              Set<String> ids = new HashSet<>();
              List<Link> attached = new ArrayList<>();
              int unmapped = 0;
              int changed = 0;
              for (int i = 0; i < linked.size(); i++) {
                Looked looked = lookups.get(i).result();
                if (looked.kind() == Looked.Kind.GONE) {
                  continue; // the record is gone from the source since it was linked
                }
                if (looked.kind() == Looked.Kind.CHANGED) {
                  changed++;
                  continue;
                }
                SourceMapping.Mapped mapped = looked.mapped();
                attached.add(linked.get(i));
                if (thePatient == null) {
                  thePatient = mapped.patient();
                }
                unmapped += mapped.unmapped();
                for (Resource r : mapped.resources()) {
                  if (types.contains(r.fhirType())
                      && ids.add(r.fhirType() + "/" + r.getIdElement().getIdPart())) {
                    resources.add(r);
                  }
                }
              }
              if (thePatient == null) {
                if (changed > 0) {
                  throw new WithheldAnswer(changedSinceLinked(changed));
                }
                return trouble
                    .<SourceRecords>map(t -> new SourceRecords.Failed(descriptor, untraceable(t)))
                    .orElseGet(() -> new SourceRecords.NotFound(descriptor));
              }
              List<String> warnings = new ArrayList<>();
              if (changed > 0) {
                warnings.add(changedSinceLinked(changed));
              }
              if (unmapped > 0) {
                warnings.add(MappedSource.unmapped(unmapped));
              }
              trouble.ifPresent(
                  t ->
                      warnings.add(
                          untraceable(t) + "; records not yet linked are missing from this view"));
              return new SourceRecords.Found(
                  descriptor, thePatient, resources, warnings, 0, attached);
            });
  }

  /** The warning for linked records whose details changed: how many, never what changed. */
  private static String changedSinceLinked(int changed) {
    return changed == 1
        ? "has a linked record whose details changed since it was linked; it is left out until"
            + " the link is checked again"
        : "has "
            + changed
            + " linked records whose details changed since they were linked; they are left out"
            + " until their links are checked again";
  }

  private static String untraceable(String trouble) {
    return "cannot be traced now (" + trouble + ")";
  }

  /**
   * What a lookup of one linked id gave: the record, mapped; GONE when the source no longer holds
   * it (404); CHANGED when the demographics it gives now are not those the link was made on (or are
   * unusable now), so the link may name someone else: the record is left out until the next sync
   * re-checks the link.
   */
  private record Looked(Kind kind, SourceMapping.Mapped mapped) {
    enum Kind {
      MAPPED,
      GONE,
      CHANGED
    }

    static final Looked GONE = new Looked(Kind.GONE, null);
    static final Looked CHANGED = new Looked(Kind.CHANGED, null);
  }

  private Future<Looked> lookup(SourceMapping m, Link link, String patientId) {
    return MappedSource.lookup(client, access, descriptor.base() + m.lookup(link.localId()))
        .compose(
            body ->
                body == null
                    ? Future.succeededFuture(Looked.GONE)
                    : vertx.executeBlocking(() -> looked(m, json(body), link, patientId), false));
  }

  private static Looked looked(SourceMapping m, JsonNode body, Link link, String patientId) {
    Optional<SourceMapping.Mapped> mapped =
        m.mapLinked(body, link.localId(), patientId, link.nhsNumber());
    if (mapped.isEmpty()) {
      return Looked.GONE;
    }
    boolean same =
        m.demographicsNow(body, link.localId())
            .map(d -> d.fingerprint().equals(link.fingerprint()))
            .orElse(false);
    return same ? new Looked(Looked.Kind.MAPPED, mapped.get()) : Looked.CHANGED;
  }

  /**
   * One roster page's body, under the source's deadline for the whole request: an idle timeout
   * alone would let an agency trickling a byte at a time hold the sync (and its lock) for ever. At
   * the deadline the page fails and the request is reset, closing its connection.
   */
  private Future<Buffer> get(String url, int maxBytes) {
    long deadline = descriptor.deadline().toMillis();
    RequestOptions options =
        access.apply(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(url)
                .setFollowRedirects(false)
                .setIdleTimeout(deadline)
                .putHeader(HttpHeaders.ACCEPT, "application/json"));
    Promise<Buffer> body = Promise.promise();
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    long timer =
        vertx.setTimer(
            deadline,
            id -> {
              body.tryFail(
                  new UpstreamException("did not send a roster page within " + deadline + " ms"));
              HttpClientRequest request = sent.get();
              if (request != null) {
                request.reset();
              }
            });
    client
        .request(options)
        .compose(
            request -> {
              sent.set(request);
              return request.send();
            })
        .compose(response -> CappedBody.read(response, maxBytes, UpstreamException::new))
        .onComplete(
            done -> {
              vertx.cancelTimer(timer);
              if (done.succeeded()) {
                body.tryComplete(done.result());
              } else {
                body.tryFail(done.cause());
              }
            });
    return body.future();
  }

  private static JsonNode json(Buffer body) {
    try {
      return JSON.readTree(body.getBytes());
    } catch (JsonProcessingException e) {
      throw new UpstreamException("sent a reply that is not JSON");
    } catch (IOException e) {
      throw new UpstreamException("sent a reply that could not be read");
    }
  }

  @Override
  public Optional<String> unavailable() {
    return fetches.unavailable();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
