package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Reference;
import org.placeshare.gateway.household.Household;
import org.placeshare.gateway.household.HouseholdRegister;
import org.placeshare.gateway.release.ReleaseOptions;
import org.placeshare.policy.FamilyRelationship;
import org.placeshare.policy.NhsNumber;

/**
 * The households of a bulk job's released members. For an export with {@code _includeHousehold},
 * each released member's household on the job's day (the register's, capped at {@link
 * Household#MAX_RELEASED}) is followed: every other member not in the cohort is released once in
 * the job, through the one release path as that member's family, decided on their own; a member of
 * the cohort is left to their own turn. Who was decided, with the Patient id they were released
 * with, and who belongs to which household are kept per chunk in PostgreSQL, so that a resumed job
 * neither asks about a person twice nor forgets one, and the job ends with a {@code Group} per
 * household of the people it released. For a summary, each released member's household is only
 * named (by a digest), so that small numbers are suppressed by household too.
 */
final class ExportHouseholds {

  /** The day a household is read on is a day in England, where the registers are kept. */
  static final ZoneId ENGLAND = ZoneId.of("Europe/London");

  /** Households read back at a time when a job writes its Groups: memory holds one page. */
  static final int GROUPS_PER_PAGE = 500;

  private static final String DECIDED =
      "SELECT nhs_number FROM export_person WHERE job_id = $1 AND nhs_number = ANY($2)";
  private static final String IN_COHORT =
      "SELECT nhs_number FROM cohort_member WHERE cohort_id = $1 AND nhs_number = ANY($2)";
  private static final String PERSON =
      "INSERT INTO export_person (job_id, nhs_number, chunk, patient_id) VALUES ($1, $2, $3, $4)"
          + " ON CONFLICT DO NOTHING";
  private static final String MEMBER =
      "INSERT INTO export_household_member (job_id, household, nhs_number, chunk) VALUES ($1, $2,"
          + " $3, $4) ON CONFLICT DO NOTHING";
  private static final String FORGET_PEOPLE =
      "DELETE FROM export_person WHERE job_id = $1 AND chunk >= $2";
  private static final String FORGET_MEMBERS =
      "DELETE FROM export_household_member WHERE job_id = $1 AND chunk >= $2";
  private static final String GROUPS =
      "SELECT h.household, array_agg(p.patient_id ORDER BY p.patient_id) AS members FROM"
          + " export_household_member h JOIN export_person p ON p.job_id = h.job_id AND"
          + " p.nhs_number = h.nhs_number WHERE h.job_id = $1 AND p.patient_id IS NOT NULL AND"
          + " h.household > $2 GROUP BY h.household ORDER BY h.household LIMIT $3";

  /**
   * What following a chunk's households gave.
   *
   * @param family the other household members released or left out, each decided once
   * @param tags per released cohort member (in chunk order), the digest of their household, for a
   *     summary's suppression; empty for an export
   * @param overCap released members whose household was over the cap: their own records only
   * @param people who was decided (NHS number to the Patient id released, empty when left out)
   * @param members who belongs to which household (digest to NHS numbers)
   */
  record Followed(
      List<MemberRelease.Outcome> family,
      List<String> tags,
      int overCap,
      Map<NhsNumber, Optional<String>> people,
      Map<String, Set<NhsNumber>> members) {

    static final Followed NOTHING = new Followed(List.of(), List.of(), 0, Map.of(), Map.of());
  }

  private final Pool pool;
  private final HouseholdRegister register;
  private final MemberRelease release;

  ExportHouseholds(Pool pool, HouseholdRegister register, MemberRelease release) {
    this.pool = pool;
    this.register = register;
    this.release = release;
  }

  /** The day a job reads households on: its kick-off's day in England, resumed or not. */
  static LocalDate day(ExportJobs.Job job) {
    return job.created().atZone(ENGLAND).toLocalDate();
  }

  /** Forgets what chunks after the last checkpoint decided: they are done again. */
  Future<Void> resume(ExportJobs.Job job) {
    return pool.preparedQuery(FORGET_PEOPLE)
        .execute(Tuple.of(job.id(), job.position()))
        .compose(
            v -> pool.preparedQuery(FORGET_MEMBERS).execute(Tuple.of(job.id(), job.position())))
        .mapEmpty();
  }

  /**
   * The chunk's households: for a summary each released member's household named; for an export
   * that follows households, each other member released as family, at most {@code concurrency} at
   * once.
   */
  Future<Followed> follow(
      ExportJobs.Job job,
      int size,
      List<NhsNumber> batch,
      List<MemberRelease.Outcome> outcomes,
      int concurrency) {
    List<NhsNumber> released = new ArrayList<>();
    List<Optional<String>> ids = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (outcomes.get(i) instanceof MemberRelease.Released r) {
        released.add(batch.get(i));
        ids.add(r.patientId());
      }
    }
    LocalDate day = day(job);
    if (job.kind() == ExportJobs.Kind.SUMMARY) {
      return Future.all(released.stream().map(m -> register.householdOf(m, day, 1)).toList())
          .map(
              all ->
                  new Followed(
                      List.of(),
                      all.<Household>list().stream().map(h -> digest(job, h)).toList(),
                      0,
                      Map.of(),
                      Map.of()));
    }
    if (!job.includeHousehold()) {
      return Future.succeededFuture(Followed.NOTHING);
    }
    Future<List<Household>> households =
        Future.all(
                released.stream()
                    .map(m -> register.householdOf(m, day, Household.MAX_RELEASED + 1))
                    .toList())
            .map(all -> all.<Household>list());
    // Every agreement that permits each released member: their family is released under these only.
    Future<List<Set<String>>> agreed =
        Future.all(released.stream().map(m -> release.permitting(job, size, m)).toList())
            .map(all -> all.<Set<String>>list());
    return Future.all(households, agreed)
        .compose(
            v ->
                others(
                    job, size, released, ids, agreed.result(), households.result(), concurrency));
  }

  private Future<Followed> others(
      ExportJobs.Job job,
      int size,
      List<NhsNumber> released,
      List<Optional<String>> ids,
      List<Set<String>> agreed,
      List<Household> households,
      int concurrency) {
    Map<NhsNumber, Optional<String>> people = new LinkedHashMap<>();
    Map<String, Set<NhsNumber>> members = new LinkedHashMap<>();
    // Each other member once, as family of the first released member (in cohort order) whose
    // household holds them, in every way they are family to the chunk's members.
    Map<NhsNumber, NhsNumber> familyOf = new LinkedHashMap<>();
    Map<NhsNumber, Set<FamilyRelationship>> relationships = new LinkedHashMap<>();
    // And under each agreement that permitted one of those members, how they are family to the
    // members it permitted: no agreement releases the family of a member it refused.
    Map<NhsNumber, Map<String, Set<FamilyRelationship>>> under = new LinkedHashMap<>();
    int overCap = 0;
    for (int i = 0; i < released.size(); i++) {
      NhsNumber m = released.get(i);
      people.put(m, ids.get(i));
      Household h = households.get(i);
      if (h.members().size() + 1 > Household.MAX_RELEASED) {
        // The register's count, whoever may be shown: a care home is not one person's family.
        overCap++;
        continue;
      }
      Set<NhsNumber> group = members.computeIfAbsent(digest(job, h), k -> new LinkedHashSet<>());
      group.add(m);
      for (Household.Member o : h.members()) {
        group.add(o.person());
        familyOf.putIfAbsent(o.person(), m);
        relationships
            .computeIfAbsent(o.person(), k -> EnumSet.noneOf(FamilyRelationship.class))
            .addAll(o.relationships());
        for (String agreement : agreed.get(i)) {
          under
              .computeIfAbsent(o.person(), k -> new TreeMap<>())
              .computeIfAbsent(agreement, k -> EnumSet.noneOf(FamilyRelationship.class))
              .addAll(o.relationships());
        }
      }
    }
    released.forEach(familyOf::remove);
    String[] candidates =
        familyOf.keySet().stream().map(NhsNumber::toString).toArray(String[]::new);
    if (candidates.length == 0) {
      return Future.succeededFuture(new Followed(List.of(), List.of(), overCap, people, members));
    }
    int over = overCap;
    // A member of the cohort is decided in their own turn, and a person this job has decided
    // already is not asked about again: each person is released (or left out) once per job.
    return Future.all(
            pool.preparedQuery(IN_COHORT).execute(Tuple.of(job.cohort(), (Object) candidates)),
            pool.preparedQuery(DECIDED).execute(Tuple.of(job.id(), (Object) candidates)))
        .compose(
            known -> {
              Set<String> skip = new HashSet<>();
              for (int q = 0; q < 2; q++) {
                for (Row r : known.<RowSet<Row>>resultAt(q)) {
                  skip.add(r.getString(0));
                }
              }
              List<NhsNumber> ask =
                  familyOf.keySet().stream().filter(n -> !skip.contains(n.toString())).toList();
              return bounded(
                      ask,
                      concurrency,
                      n ->
                          release
                              .releaseAsFamily(
                                  job,
                                  size,
                                  n,
                                  new ReleaseOptions.HouseholdMember(
                                      job.id().toString(),
                                      MemberRelease.ACTION,
                                      job.created(),
                                      familyOf.get(n),
                                      day(job),
                                      relationships.get(n),
                                      under.getOrDefault(n, Map.of())))
                              .recover(MemberRelease::failedOrPaused))
                  .map(
                      family -> {
                        for (int i = 0; i < ask.size(); i++) {
                          people.put(
                              ask.get(i),
                              family.get(i) instanceof MemberRelease.Released r
                                  ? r.patientId()
                                  : Optional.empty());
                        }
                        return new Followed(family, List.of(), over, people, members);
                      });
            });
  }

  /** Keeps what the chunk decided, under the chunk's position, before its checkpoint. */
  Future<Void> remember(ExportJobs.Job job, int chunk, Followed followed) {
    List<Tuple> people = new ArrayList<>();
    followed
        .people()
        .forEach((n, id) -> people.add(Tuple.of(job.id(), n.toString(), chunk, id.orElse(null))));
    List<Tuple> members = new ArrayList<>();
    followed
        .members()
        .forEach(
            (h, ns) -> ns.forEach(n -> members.add(Tuple.of(job.id(), h, n.toString(), chunk))));
    Future<?> p =
        people.isEmpty()
            ? Future.succeededFuture()
            : pool.preparedQuery(PERSON).executeBatch(people);
    return p.compose(
            v ->
                members.isEmpty()
                    ? Future.succeededFuture()
                    : pool.preparedQuery(MEMBER).executeBatch(members))
        .mapEmpty();
  }

  /**
   * A page of the job's households, after the household {@code after} (digest order): a Group of
   * type person per household, its members the released people's pseudonymous Patients. No address,
   * no digest: a Group's id is new for each export, so households are counted, never located.
   */
  Future<Page> groups(ExportJobs.Job job, String after) {
    return pool.preparedQuery(GROUPS)
        .execute(Tuple.of(job.id(), after, GROUPS_PER_PAGE))
        .map(
            rows -> {
              List<Group> groups = new ArrayList<>();
              String last = null;
              for (Row r : rows) {
                last = r.getString("household");
                Group g = new Group();
                g.setId(UUID.randomUUID().toString());
                g.setType(Group.GroupType.PERSON);
                g.setActual(true);
                String[] ids = r.getArrayOfStrings("members");
                g.setQuantity(ids.length);
                for (String id : ids) {
                  g.addMember().setEntity(new Reference("Patient/" + id));
                }
                groups.add(g);
              }
              return new Page(groups, Optional.ofNullable(last));
            });
  }

  /** One page of Groups and the household to read on from, if there may be more. */
  record Page(List<Group> groups, Optional<String> last) {}

  /**
   * The household's name within the job: a digest of the job and the address (or of the person,
   * where no address is known, a household of them and their stated family), so that the job's
   * state never holds an address, and no two jobs share a name.
   */
  static String digest(ExportJobs.Job job, Household h) {
    String key = h.address().map(a -> "address:" + a.value()).orElse("person:" + h.person());
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] d = sha.digest((job.id() + "|" + key).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** Each item through {@code work}, at most {@code concurrency} at once; results in order. */
  private static <T, R> Future<List<R>> bounded(
      List<T> items, int concurrency, Function<T, Future<R>> work) {
    @SuppressWarnings("unchecked")
    R[] results = (R[]) new Object[items.size()];
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> workers = new ArrayList<>();
    for (int w = 0; w < Math.min(concurrency, items.size()); w++) {
      workers.add(worker(items, work, results, next));
    }
    return Future.all(workers).map(v -> List.of(results));
  }

  private static <T, R> Future<Void> worker(
      List<T> items, Function<T, Future<R>> work, R[] results, AtomicInteger next) {
    int i = next.getAndIncrement();
    if (i >= items.size()) {
      return Future.succeededFuture();
    }
    return work.apply(items.get(i))
        .compose(
            r -> {
              results[i] = r;
              return worker(items, work, results, next);
            });
  }
}
