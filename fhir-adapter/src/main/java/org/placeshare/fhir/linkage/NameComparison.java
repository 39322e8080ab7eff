package org.placeshare.fhir.linkage;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.commons.text.similarity.JaroWinklerSimilarity;

/**
 * Family or given name: exact, then (family) an earlier name, (given) a known short form, then
 * Jaro-Winkler similarity bands and phonetic agreement (Double Metaphone or NYSIIS).
 *
 * <p>The u values come from the synthetic population's name pools (about 120 family names and 60
 * given names per gender, so two different people share a name about 1 time in 100); the m values
 * from the generator's error rates (about 4% of agency records have a typo in a name, 6% a short
 * form of the given name, and half of those with a married name still use the earlier one). Real
 * name frequencies are more skewed; a deployment re-estimates both (e.g. by expectation
 * maximisation, as Splink does).
 */
public final class NameComparison implements Comparison {

  /** One slip of the keyboard in a name of five or more letters scores above this. */
  static final double TYPO_SIMILARITY = 0.92;

  static final double CLOSE_SIMILARITY = 0.85;

  public static final NameComparison FAMILY =
      new NameComparison(
          "family",
          Demographics::family,
          new Level("exact", 0.90, 0.008),
          new Level("earlier family name", 0.04, 0.001),
          new Level("typo", 0.04, 0.003),
          new Level("sounds alike", 0.01, 0.003),
          new Level("close", 0.005, 0.02),
          new Level("disagree", 0.005, 0.965));

  public static final NameComparison GIVEN =
      new NameComparison(
          "given",
          Demographics::given,
          new Level("exact", 0.85, 0.01),
          new Level("short form", 0.06, 0.002),
          new Level("typo", 0.04, 0.004),
          new Level("sounds alike", 0.02, 0.005),
          new Level("close", 0.01, 0.03),
          new Level("disagree", 0.02, 0.95));

  // Common English short forms whose spelling is not a prefix of the full name.
  private static final Map<String, Set<String>> SHORT_FORMS =
      Map.ofEntries(
          Map.entry("WILLIAM", Set.of("BILL", "BILLY", "WILL", "LIAM")),
          Map.entry("ROBERT", Set.of("BOB", "BOBBY", "ROB", "ROBBIE")),
          Map.entry("RICHARD", Set.of("DICK", "RICH", "RICKY")),
          Map.entry("ELIZABETH", Set.of("LIZ", "BETH", "BETTY", "LIZZIE")),
          Map.entry("MARGARET", Set.of("MAGGIE", "PEGGY", "MEG")),
          Map.entry("KATHERINE", Set.of("KATE", "KATIE", "KATH")),
          Map.entry("EDWARD", Set.of("TED", "ED", "EDDIE")),
          Map.entry("JAMES", Set.of("JIM", "JIMMY", "JAMIE")),
          Map.entry("JOHN", Set.of("JACK", "JOHNNY")),
          Map.entry("ALEXANDER", Set.of("ALEX", "SANDY", "XANDER")),
          Map.entry("ANTHONY", Set.of("TONY")),
          Map.entry("CHRISTOPHER", Set.of("CHRIS", "KIT")),
          Map.entry("REBECCA", Set.of("BECKY", "BECCA")),
          Map.entry("VICTORIA", Set.of("VICKY", "TORI")),
          Map.entry("SUSAN", Set.of("SUE", "SUZY")),
          Map.entry("HENRY", Set.of("HARRY", "HAL")),
          Map.entry("PATRICIA", Set.of("PAT", "TRISH")),
          Map.entry("JENNIFER", Set.of("JEN", "JENNY")));

  /** A prefix this long or longer ("Jon" of "Jonathan") counts as a short form. */
  static final int MIN_PREFIX_SHORT_FORM = 3;

  private static final JaroWinklerSimilarity JARO_WINKLER = new JaroWinklerSimilarity();

  private final String field;
  private final Function<Demographics, String> name;
  private final Level exact;
  private final Level alternative;
  private final Level typo;
  private final Level soundsAlike;
  private final Level close;
  private final Level disagree;

  private NameComparison(
      String field,
      Function<Demographics, String> name,
      Level exact,
      Level alternative,
      Level typo,
      Level soundsAlike,
      Level close,
      Level disagree) {
    this.field = field;
    this.name = name;
    this.exact = exact;
    this.alternative = alternative;
    this.typo = typo;
    this.soundsAlike = soundsAlike;
    this.close = close;
    this.disagree = disagree;
  }

  @Override
  public String field() {
    return field;
  }

  /** The levels, best first. */
  public List<Level> levels() {
    return List.of(exact, alternative, typo, soundsAlike, close, disagree);
  }

  @Override
  public Level compare(Demographics a, Demographics b) {
    return compare(a, b, new NameSounds());
  }

  /** As {@link #compare(Demographics, Demographics)}, the names' sounds taken from a ranking's. */
  Level compare(Demographics a, Demographics b, NameSounds sounds) {
    String x = name.apply(a);
    String y = name.apply(b);
    if (x == null || y == null) {
      return Level.NOT_COMPARED;
    }
    if (x.equals(y)) {
      return exact;
    }
    if (this == FAMILY
        ? a.previousFamilies().contains(y) || b.previousFamilies().contains(x)
        : isShortForm(x, y) || isShortForm(y, x)) {
      return alternative;
    }
    double similarity = JARO_WINKLER.apply(x, y);
    if (similarity >= TYPO_SIMILARITY) {
      return typo;
    }
    if (sounds.alike(x, y)) {
      return soundsAlike;
    }
    return similarity >= CLOSE_SIMILARITY ? close : disagree;
  }

  private static boolean isShortForm(String full, String shortForm) {
    return SHORT_FORMS.getOrDefault(full, Set.of()).contains(shortForm)
        || (shortForm.length() >= MIN_PREFIX_SHORT_FORM
            && shortForm.length() < full.length()
            && full.startsWith(shortForm));
  }
}
