package org.placeshare.fhir.index;

import ca.uhn.fhir.parser.DataFormatException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.Patient;
import org.placeshare.fhir.CappedBody;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.SourceAccess;
import org.placeshare.fhir.UpstreamException;
import org.placeshare.fhir.linkage.Candidate;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.fhir.linkage.MatchGrade;
import org.placeshare.fhir.linkage.Matcher;
import org.placeshare.fhir.linkage.ReferenceIndex;
import org.placeshare.policy.NhsNumber;

/**
 * A {@link ReferenceIndex} reached over FHIR R4 REST, as NHS PDS is: one fuzzy Patient search per
 * trace ({@code family}, {@code given}, {@code birthdate}, {@code gender}, {@code
 * address-postcode}, {@code _fuzzy-match=true}, {@code _max-results}). Each Patient returned is
 * read strictly, from the answer's JSON ({@link IndexBundle}, as {@link IndexPatient} reads one):
 * one without exactly one valid NHS number, or with demographics {@link Demographics} refuses, is
 * skipped and counted, never trusted; and while it is, no other candidate of that answer is CERTAIN
 * (it might be the twin). The rest are graded by {@link Matcher#rank}; the index's own {@code
 * search.score} is never used to link.
 *
 * <p>Non-blocking; the body is capped while it arrives and parsed off the event loop; one deadline
 * covers the whole search. The index down, slow or answering garbage fails the future with an
 * {@link UpstreamException} whose message is safe to show.
 */
public final class FhirReferenceIndex implements ReferenceIndex {

  /** Largest search answer read: 50 Patients of PDS's size fit well within it. */
  public static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  /**
   * Candidates asked of the index per trace: more than the caller wants, so that a second person
   * scoring as high (a twin) is seen and the match is known to be ambiguous.
   */
  public static final int INDEX_RESULTS = 20;

  /** Most Patients read from one answer, whatever the index sends (PDS's own cap). */
  public static final int MAX_ENTRIES = 50;

  private static final String NAME = "the reference index";

  private final Vertx vertx;
  private final Context context;
  private final URI baseUrl;
  private final Duration deadline;
  private final SourceAccess access;
  private final HttpClientAgent client;
  private final LongAdder refused = new LongAdder();

  public FhirReferenceIndex(Vertx vertx, URI baseUrl, Duration deadline, SourceAccess access) {
    this.vertx = vertx;
    // One event-loop context: requests are made and answers handled on it, so a body handler is
    // in place before the body arrives.
    this.context = vertx.getOrCreateContext();
    this.baseUrl = baseUrl;
    this.deadline = deadline;
    this.access = access;
    this.client = access.client(vertx, deadline);
  }

  @Override
  public Future<List<Candidate>> search(Demographics query, int count) {
    if (count < 1 || count > MAX_CANDIDATES) {
      return Future.failedFuture(
          new IllegalArgumentException(
              "expected a count from 1 to " + MAX_CANDIDATES + ", got " + count));
    }
    return underDeadline(
        () ->
            fetch(query)
                .map(answer -> graded(query, answer))
                .map(ranked -> List.copyOf(ranked.subList(0, Math.min(count, ranked.size())))));
  }

  /**
   * Runs one request to the index on its context under the one deadline; any failure comes out as a
   * message safe to show.
   */
  private <T> Future<T> underDeadline(Supplier<Future<T>> work) {
    Promise<T> result = Promise.promise();
    context.runOnContext(
        start -> {
          long timer =
              vertx.setTimer(
                  deadline.toMillis(),
                  id ->
                      result.tryFail(
                          failure("did not answer within " + deadline.toMillis() + " ms")));
          work.get()
              .onComplete(
                  done -> {
                    vertx.cancelTimer(timer);
                    if (done.succeeded()) {
                      result.tryComplete(done.result());
                    } else {
                      result.tryFail(safe(done.cause()));
                    }
                  });
        });
    return result.future();
  }

  /** The Patients of one search answer that were read, and how many were refused. */
  private record Answer(List<IndexEntry> entries, int refused) {}

  /**
   * The candidates of an answer, ranked. When a Patient of the answer was refused, none is CERTAIN:
   * the refused one may be the twin that would have made the match ambiguous ({@link
   * Matcher#rank}), so a person decides (at most PROBABLE).
   */
  private static List<Candidate> graded(Demographics query, Answer answer) {
    List<Candidate> ranked = Matcher.rank(query, answer.entries());
    if (answer.refused() == 0) {
      return ranked;
    }
    return ranked.stream()
        .map(
            c ->
                c.grade() == MatchGrade.CERTAIN
                    ? new Candidate(c.entry(), c.score(), MatchGrade.PROBABLE)
                    : c)
        .toList();
  }

  @Override
  public Future<Optional<IndexEntry>> read(NhsNumber nhsNumber) {
    RequestOptions options =
        access.apply(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(baseUrl + "/Patient/" + nhsNumber)
                .setFollowRedirects(false)
                .putHeader(HttpHeaders.ACCEPT, Fhir.JSON));
    return underDeadline(
        () ->
            client
                .request(options)
                .compose(request -> request.send())
                .compose(
                    response ->
                        response.statusCode() == 404
                            ? CappedBody.discard(response, MAX_RESPONSE_BYTES)
                                .map(x -> (Buffer) null)
                            : CappedBody.read(
                                response, MAX_RESPONSE_BYTES, FhirReferenceIndex::failure))
                .compose(
                    body ->
                        body == null
                            ? Future.succeededFuture(Optional.<IndexEntry>empty())
                            : vertx.executeBlocking(
                                () -> Optional.of(person(body, nhsNumber)), false)));
  }

  /** The one Patient a read answers; someone else, or a Patient not to be trusted, is a failure. */
  private static IndexEntry person(Buffer body, NhsNumber asked) {
    Patient patient;
    try {
      patient = Fhir.json().parseResource(Patient.class, body.toString(StandardCharsets.UTF_8));
    } catch (DataFormatException | ClassCastException e) {
      throw failure("sent a reply that is not a FHIR R4 Patient");
    }
    IndexEntry entry;
    try {
      entry = IndexPatient.read(patient);
    } catch (IllegalArgumentException e) {
      throw failure("sent a Patient it could not be compared with (" + e.getMessage() + ")");
    }
    if (!entry.nhsNumber().equals(asked)) {
      throw failure("answered a read by NHS number with another person");
    }
    return entry;
  }

  /** Patients the index returned that were not trusted (no or several NHS numbers, bad data). */
  public long refused() {
    return refused.sum();
  }

  private Future<Answer> fetch(Demographics query) {
    RequestOptions options =
        access.apply(
            new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(baseUrl + "/Patient?" + parameters(query))
                .setFollowRedirects(false)
                .putHeader(HttpHeaders.ACCEPT, Fhir.JSON));
    return client
        .request(options)
        .compose(request -> request.send())
        .compose(
            response -> CappedBody.read(response, MAX_RESPONSE_BYTES, FhirReferenceIndex::failure))
        .compose(body -> vertx.executeBlocking(() -> entries(body), false));
  }

  /** The fuzzy search PDS offers, with the fields the record has. */
  static String parameters(Demographics query) {
    StringJoiner q = new StringJoiner("&");
    q.add("family=" + encode(query.family()));
    if (query.given() != null) {
      q.add("given=" + encode(query.given()));
    }
    q.add("birthdate=" + query.birthDate());
    if (query.gender() != null) {
      q.add("gender=" + query.gender());
    }
    if (query.postcode() != null) {
      q.add("address-postcode=" + encode(query.postcode()));
    }
    q.add("_fuzzy-match=true");
    q.add("_max-results=" + INDEX_RESULTS);
    return q.toString();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** The candidates of one answer, read straight from its JSON ({@link IndexBundle}). */
  private Answer entries(Buffer body) {
    IndexBundle.Answer answer;
    try {
      answer = IndexBundle.read(body.getBytes(), MAX_ENTRIES);
    } catch (IndexBundle.NotABundle e) {
      throw failure("sent a reply that is not a FHIR R4 Bundle");
    }
    if (answer.entryCount() > MAX_ENTRIES) {
      throw failure("sent more than " + MAX_ENTRIES + " candidates");
    }
    refused.add(answer.refused());
    return new Answer(answer.entries(), answer.refused());
  }

  private static UpstreamException failure(String what) {
    return new UpstreamException(NAME + " " + what);
  }

  /** Connection trouble is named by its kind, never its details (which may quote hosts). */
  private static Throwable safe(Throwable e) {
    if (e instanceof UpstreamException) {
      return e;
    }
    if (e instanceof ConnectException) {
      return failure("could not be reached (connection refused)");
    }
    return failure("could not be reached (" + e.getClass().getSimpleName() + ")");
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  @Override
  public String toString() {
    return "FhirReferenceIndex[" + baseUrl + ", " + access + "]";
  }
}
