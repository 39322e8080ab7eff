package org.placeshare.fhir.mapped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.CappedBody;
import org.placeshare.fhir.RecordSource;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.SourceDescriptor;
import org.placeshare.fhir.SourceFetch;
import org.placeshare.fhir.SourceRecords;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.policy.NhsNumber;

/**
 * A source that does not speak FHIR: a JSON API looked up by NHS number and mapped to FHIR R4 by a
 * {@link SourceMapping}. From the view's side it is like any other source: the same deadline, body
 * cap, failure reporting and check that the person found is the person asked for.
 */
public final class MappedSource implements RecordSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final SourceDescriptor descriptor;
  private final Supplier<SourceMapping> mapping;
  private final HttpClientAgent client;

  private final SourceAccess access;
  private final SourceFetch fetches;

  public MappedSource(
      Vertx vertx, SourceDescriptor descriptor, SourceMapping mapping, SourceAccess access) {
    this(vertx, descriptor, () -> mapping, access);
  }

  /**
   * @param mapping the mapping in force, asked once per fetch: a reloaded mapping takes over from
   *     the next fetch, and a fetch in flight keeps the one it started with
   */
  public MappedSource(
      Vertx vertx,
      SourceDescriptor descriptor,
      Supplier<SourceMapping> mapping,
      SourceAccess access) {
    this.vertx = vertx;
    this.access = access;
    this.fetches = new SourceFetch(vertx, descriptor);
    this.descriptor = descriptor;
    this.mapping = mapping;
    this.client = access.client(vertx, descriptor.deadline());
  }

  @Override
  public SourceDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public Future<SourceRecords> fetch(
      NhsNumber patient, Set<String> resourceTypes, Optional<Instant> since) {
    SourceMapping mapping = this.mapping.get();
    return fetches.run(
        patient,
        () ->
            lookup(client, access, descriptor.base() + mapping.lookup(patient))
                .compose(
                    body ->
                        body == null
                            ? Future.succeededFuture(notFound())
                            : vertx.executeBlocking(
                                () -> map(mapping, body, resourceTypes), false)));
  }

  @Override
  public Optional<String> unavailable() {
    return fetches.unavailable();
  }

  /** Largest reply read; a longer one is cut off and the fetch fails. */
  static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

  /**
   * One lookup in a mapped source's JSON API, no redirect followed: the reply's body, capped, or
   * null when the source answers 404 (it holds nobody by that key).
   */
  static Future<Buffer> lookup(HttpClientAgent client, SourceAccess access, String uri) {
    RequestOptions request =
        access.apply(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(uri)
                .setFollowRedirects(false)
                .putHeader(HttpHeaders.ACCEPT, "application/json"));
    return client
        .request(request)
        .compose(r -> r.send())
        .compose(
            response ->
                response.statusCode() == 404
                    ? CappedBody.discard(response, MAX_BODY_BYTES).map(x -> (Buffer) null)
                    : CappedBody.read(response, MAX_BODY_BYTES, UpstreamException::new));
  }

  private SourceRecords notFound() {
    return new SourceRecords.NotFound(descriptor);
  }

  private SourceRecords map(SourceMapping mapping, Buffer body, Set<String> types) {
    JsonNode json;
    try {
      json = JSON.readTree(body.getBytes());
    } catch (JsonProcessingException e) {
      throw new UpstreamException("sent a reply that is not JSON");
    } catch (IOException e) {
      throw new UpstreamException("sent a reply that could not be read");
    }
    Optional<SourceMapping.Mapped> mapped = mapping.map(json);
    if (mapped.isEmpty()) {
      return notFound();
    }
    // A lookup by NHS number answered with someone else is a conflict (checked after the fetch).
    List<Resource> resources =
        mapped.get().resources().stream().filter(r -> types.contains(r.fhirType())).toList();
    List<String> warnings =
        mapped.get().unmapped() == 0 ? List.of() : List.of(unmapped(mapped.get().unmapped()));
    return new SourceRecords.Found(descriptor, mapped.get().patient(), resources, warnings);
  }

  /** The warning for items a mapping could not make records of: how many. */
  static String unmapped(int n) {
    return n == 1
        ? "has a record that could not be mapped to FHIR R4; it is missing from this view"
        : "has "
            + n
            + " records that could not be mapped to FHIR R4; they are missing from this view";
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
