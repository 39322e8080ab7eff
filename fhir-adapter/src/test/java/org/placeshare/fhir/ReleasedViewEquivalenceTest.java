package org.placeshare.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.util.IModelVisitor2;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.Basic;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.UriType;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.previous.AboutThePersonBefore22;
import org.placeshare.fhir.previous.PersonViewBefore22;
import org.placeshare.fhir.previous.PseudonymsBefore22;
import org.placeshare.policy.OdsCode;

/**
 * The release made faster for issue 22 releases the same bytes as the release before it ({@code
 * org.placeshare.fhir.previous}), on every person of the corpus ({@link ReleaseCorpus}) under every
 * obligation of it, with and without a pseudonym key; and says the same to the audit (references
 * per source, data-quality findings, records left out).
 */
class ReleasedViewEquivalenceTest {

  private static final OdsCode RECIPIENT = ReleaseCorpus.RECIPIENT;
  private static final Instant NOW = ReleaseCorpus.NOW;
  private static final byte[] KEY = ReleaseCorpus.KEY;

  /** The UUIDs made at random for each release: the Bundle's, its entries' and Provenances'. */
  private static final String RANDOM_UUID =
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

  /** Keyed, only the random UUIDs differ from one release to the next; pseudonyms do not. */
  private static final Pattern RANDOM_KEYED = Pattern.compile(RANDOM_UUID);

  /**
   * Without a key, the Patient's id (a UUID of version 8) is made under a key of the process, and
   * pseudonymised ids (32 hex digits) under a key of the release: both at random too.
   */
  private static final Pattern RANDOM_UNKEYED =
      Pattern.compile(
          RANDOM_UUID
              + "|[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
              + "|[0-9a-f]{32}");

  @Test
  void release_previousAndNew_releaseTheSameBytes_onTheCorpus() {
    int views = 0;
    int conflicts = 0;
    for (ReleaseCorpus.Person person : ReleaseCorpus.people()) {
      for (ReleaseCorpus.Named named : ReleaseCorpus.obligations()) {
        for (boolean keyed : List.of(true, false)) {
          String what = person.name() + " under " + named.name() + (keyed ? ", keyed" : "");
          Outcome before = before(person, named, keyed);
          Outcome after = after(person, named, keyed);
          assertThat(after.json()).as(what).isEqualTo(before.json());
          assertThat(after.audit()).as(what).isEqualTo(before.audit());
          if (before.json().startsWith("conflict")) {
            conflicts++;
          } else {
            views++;
          }
        }
      }
    }
    // The corpus is what it says: views released and conflicts refused, none vacuous.
    assertThat(views).isGreaterThan(1_000);
    assertThat(conflicts).isPositive();
  }

  /** What a release produced: the released JSON (random values numbered) and the audit's view. */
  private record Outcome(String json, String audit) {}

  private static Outcome after(
      ReleaseCorpus.Person person, ReleaseCorpus.Named named, boolean keyed) {
    ReleaseCorpus.Released r = ReleaseCorpus.release(person, named, keyed);
    if (r.view().isEmpty()) {
      return new Outcome("conflict: " + r.conflict(), "");
    }
    PersonView.Released released = r.view().get();
    return new Outcome(
        numbered(Fhir.encode(released.bundle()), keyed),
        released.referencesBySource()
            + " "
            + released.findings()
            + " "
            + released.notAboutThePerson()
            + released.leftOutNote());
  }

  private static Outcome before(
      ReleaseCorpus.Person person, ReleaseCorpus.Named named, boolean keyed) {
    List<SourceRecords> results = new ArrayList<>();
    Map<String, PersonViewBefore22.Grant> grants = new LinkedHashMap<>();
    try {
      for (ReleaseCorpus.Reply reply : person.replies()) {
        results.add(AboutThePersonBefore22.check(person.asked(), reply.found()));
        grants.put(
            reply.source().id(), new PersonViewBefore22.Grant(named.obligations(), "corpus@1#sha"));
      }
    } catch (AboutThePersonBefore22.Conflict e) {
      return new Outcome("conflict: " + e.getMessage(), "");
    }
    PersonViewBefore22.Released released =
        PersonViewBefore22.assemble(
            person.asked(),
            RECIPIENT,
            results,
            grants,
            List.of(ReleaseCorpus.COUNCIL),
            keyed ? Optional.of(new PseudonymsBefore22(KEY)) : Optional.empty(),
            NOW);
    return new Outcome(
        numbered(Fhir.encode(released.bundle()), keyed),
        released.referencesBySource()
            + " "
            + released.findings()
            + " "
            + released.notAboutThePerson()
            + released.leftOutNote());
  }

  /** Each random value replaced by the order it first appears in: same place, same number. */
  private static String numbered(String json, boolean keyed) {
    Map<String, Integer> seen = new LinkedHashMap<>();
    Matcher m = (keyed ? RANDOM_KEYED : RANDOM_UNKEYED).matcher(json);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int n = seen.computeIfAbsent(m.group(), k -> seen.size());
      m.appendReplacement(out, "random-" + n);
    }
    m.appendTail(out);
    return out.toString();
  }

  @Test
  void populatedElements_findWhatTheTerserFinds_inTheSameOrder_onTheCorpus() {
    int compared = 0;
    int beyondTheTerser = 0;
    for (ReleaseCorpus.Person person : ReleaseCorpus.people()) {
      for (ReleaseCorpus.Reply reply : person.replies()) {
        SourceRecords.Found found = reply.found();
        List<Resource> resources = new ArrayList<>(found.resources());
        resources.add(found.patient());
        for (Resource r : resources) {
          for (Class<? extends IBase> type :
              List.of(
                  Reference.class,
                  IBaseReference.class,
                  Identifier.class,
                  Coding.class,
                  UriType.class,
                  IPrimitiveType.class,
                  Resource.class,
                  IBase.class)) {
            List<? extends IBase> terser = terserAndPrimitiveExtensions(r, type);
            List<? extends IBase> walked = PopulatedElements.of(r, type);
            assertThat(identities(walked)).as(r.getId() + " " + type).isEqualTo(identities(terser));
            compared += terser.size();
            beyondTheTerser +=
                terser.size()
                    - Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, type).size();
          }
          assertThat(referencesWithTheirChild(r, true))
              .as(r.getId())
              .isEqualTo(referencesWithTheirChild(r, false));
        }
      }
    }
    assertThat(compared).isGreaterThan(10_000);
    // The hostile source's primitive extensions: what the walk finds beyond the terser is checked.
    assertThat(beyondTheTerser).isPositive();
  }

  /**
   * What the terser finds of a type, and what it would find in each extension of a primitive were
   * that extension on a resource, right after the primitive: HAPI's terser does not go below a
   * primitive, and the walk does (a source can put anything in a primitive's extension). Each such
   * extension is put, itself and not a copy, on an empty carrier resource, which is left out.
   */
  private static List<IBase> terserAndPrimitiveExtensions(
      IBaseResource r, Class<? extends IBase> type) {
    List<IBase> out = new ArrayList<>();
    for (IBase e : Fhir.context().newTerser().getAllPopulatedChildElementsOfType(r, IBase.class)) {
      if (type.isInstance(e)) {
        out.add(e);
      }
      if (e instanceof PrimitiveType<?> primitive) {
        for (Extension extension : primitive.getExtension()) {
          Basic carrier = new Basic();
          carrier.getExtension().add(extension);
          for (IBase found : terserAndPrimitiveExtensions(carrier, type)) {
            if (found != carrier) {
              out.add(found);
            }
          }
        }
      }
    }
    return out;
  }

  /** Objects by identity, in order: the same elements, not equal ones. */
  private static List<Integer> identities(List<? extends IBase> elements) {
    IdentityHashMap<IBase, Integer> numbers = new IdentityHashMap<>();
    List<Integer> out = new ArrayList<>();
    for (IBase e : elements) {
      out.add(numbers.computeIfAbsent(e, k -> System.identityHashCode(k)));
    }
    return out;
  }

  /** Each reference with whether its element is required, by the terser's visit or the walk. */
  private static List<String> referencesWithTheirChild(Resource r, boolean terser) {
    List<String> out = new ArrayList<>();
    if (terser) {
      Fhir.context()
          .newTerser()
          .visit(
              r,
              new IModelVisitor2() {
                @Override
                public boolean acceptElement(
                    IBase element,
                    List<IBase> containing,
                    List<BaseRuntimeChildDefinition> children,
                    List<BaseRuntimeElementDefinition<?>> definitions) {
                  if (element instanceof Reference ref) {
                    BaseRuntimeChildDefinition child =
                        children.isEmpty() ? null : children.get(children.size() - 1);
                    out.add(System.identityHashCode(ref) + " " + describe(child));
                  }
                  return true;
                }
              });
    } else {
      PopulatedElements.walk(
          r,
          Reference.class,
          false,
          (ref, child) -> out.add(System.identityHashCode(ref) + " " + describe(child)));
    }
    return out;
  }

  private static String describe(BaseRuntimeChildDefinition child) {
    return child == null ? "none" : child.getElementName() + " min " + child.getMin();
  }
}
