package org.placeshare.fhir.linkage;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.codec.language.DoubleMetaphone;
import org.apache.commons.codec.language.Nysiis;

/**
 * Whether two folded names sound alike (Double Metaphone, primary or alternate, or NYSIIS), with
 * each name's codes worked out once for one ranking: a trace compares its record's names with every
 * candidate's, and candidates share names, so encoding per pair would encode the same names again
 * and again. One per ranking, on one thread; it holds only the names of that ranking.
 */
final class NameSounds {

  private static final DoubleMetaphone DOUBLE_METAPHONE = new DoubleMetaphone();
  private static final Nysiis NYSIIS = new Nysiis();

  private record Codes(String primary, String alternate, String nysiis) {}

  private final Map<String, Codes> codes = new HashMap<>();

  /** As {@code isDoubleMetaphoneEqual} (primary, then alternate) or equal NYSIIS codes. */
  boolean alike(String x, String y) {
    Codes a = codes(x);
    Codes b = codes(y);
    return Objects.equals(a.primary(), b.primary())
        || Objects.equals(a.alternate(), b.alternate())
        || Objects.equals(a.nysiis(), b.nysiis());
  }

  private Codes codes(String name) {
    return codes.computeIfAbsent(
        name,
        n ->
            new Codes(
                DOUBLE_METAPHONE.doubleMetaphone(n),
                DOUBLE_METAPHONE.doubleMetaphone(n, true),
                NYSIIS.encode(n)));
  }
}
