package org.placeshare.fhir.linkage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.placeshare.fhir.synthetic.TracingPopulation;
import org.placeshare.fhir.synthetic.TracingPopulation.AgencyRecord;

/**
 * Demographics as the register stores them: folded names within their caps, read back unchanged,
 * and the fingerprint a link is made on.
 */
class DemographicsTest {

  static final LocalDate BORN = LocalDate.of(1990, 1, 1);

  /** What the register would read back: the stored form through the constructor again. */
  static Demographics readBack(Demographics d) {
    return new Demographics(
        d.family(),
        d.given(),
        d.previousFamilies(),
        d.birthDate(),
        d.gender(),
        d.postcode(),
        d.previousPostcodes(),
        d.addressLine(),
        d.uprn());
  }

  @Test
  void demographics_sharpSFoldingPastTheCap_isRefused() {
    // 30 characters in, 60 once folded (ß is SS): the register could never read it back.
    assertThatThrownBy(() -> Demographics.of("ß".repeat(30), null, BORN, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected family of at most 35 characters once folded, got 60");
  }

  @Test
  void demographics_realNameGrowingPastTheCapWhenFolded_isRefused() {
    String name = "Weißenbergerßtraße-Großmannßohn"; // 31 characters; 36 folded
    assertThat(name).hasSizeLessThanOrEqualTo(Demographics.MAX_NAME_LENGTH);

    assertThatThrownBy(() -> Demographics.of("Evans", name, BORN, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected given of at most 35 characters once folded, got 36");
    assertThatThrownBy(
            () ->
                new Demographics(
                    "Evans",
                    null,
                    List.of(name),
                    BORN,
                    null,
                    null,
                    List.of(),
                    null,
                    Optional.empty()))
        .hasMessage("expected previousFamilies of at most 35 characters once folded, got 36");
  }

  @Test
  void demographics_addressLineGrowingPastTheCapWhenFolded_isRefused() {
    assertThatThrownBy(
            () ->
                new Demographics(
                    "Evans",
                    null,
                    List.of(),
                    BORN,
                    null,
                    null,
                    List.of(),
                    "1 " + "ß".repeat(60),
                    Optional.empty()))
        .hasMessage("expected addressLine of at most 100 characters once folded, got 122");
  }

  @Test
  void demographics_everyAcceptedForm_readsBackAsItself() {
    for (String name :
        List.of("ß".repeat(17), "Weißenberger-Großmann", "Ó Súilleabháin", "ﬀoulkes", "Ｅvans")) {
      Demographics d =
          new Demographics(
              name,
              name,
              List.of(name),
              BORN,
              "female",
              "SR2 7QT",
              List.of(),
              "Straße " + name,
              Optional.empty());

      assertThat(readBack(d)).as(name).isEqualTo(d);
      assertThat(readBack(d).fingerprint()).as(name).isEqualTo(d.fingerprint());
    }
  }

  @Test
  void demographics_ligaturesAndWidthForms_foldToTheirLetters() {
    assertThat(Demographics.of("Ｅｖａｎｓ", "ﬁona", BORN, null, null))
        .isEqualTo(Demographics.of("Evans", "Fiona", BORN, null, null));
  }

  @Test
  void fingerprint_isTheSha256OfTheFormTheRegisterStores() throws Exception {
    // The text V10's rows were fingerprinted on: the same demographics must give the same print.
    String stored =
        "{\"family\":\"EVANS\",\"given\":\"SAMMY\",\"previousFamilies\":[],\"birthDate\":"
            + "\"2007-02-17\",\"gender\":\"male\",\"postcode\":\"SR2 7QT\",\"previousPostcodes\":[],"
            + "\"addressLine\":\"4 VINE PLACE\",\"uprn\":null}";
    Demographics d =
        new Demographics(
            "Evans",
            "Sammy",
            List.of(),
            LocalDate.of(2007, 2, 17),
            "male",
            "sr27qt",
            List.of(),
            "4 Vine Place",
            Optional.empty());

    assertThat(d.storedForm().encode()).isEqualTo(stored);
    assertThat(d.fingerprint())
        .isEqualTo(
            HexFormat.of()
                .formatHex(
                    MessageDigest.getInstance("SHA-256")
                        .digest(stored.getBytes(StandardCharsets.UTF_8))));
    assertThat(Demographics.of("Evans", "Sam", LocalDate.of(2007, 2, 17), "male", "SR2 7QT"))
        .extracting(Demographics::fingerprint)
        .isNotEqualTo(d.fingerprint());
  }

  @Test
  void normaliseName_asciiInOnePass_foldsAsTheFullFoldingDoes() {
    for (String name : asciiCorpus()) {
      assertThat(outcome(Demographics::normaliseName, name))
          .as("name %s", name)
          .isEqualTo(outcome(Demographics::normaliseNameFully, name));
    }
  }

  @Test
  void normaliseAddressLine_asciiInOnePass_foldsAsTheFullFoldingDoes() {
    for (String line : asciiCorpus()) {
      assertThat(Demographics.normaliseAddressLine(line))
          .as("address line %s", line)
          .isEqualTo(Demographics.normaliseAddressLineFully(line));
    }
  }

  /**
   * Every name and address line of a seeded population (agency records carry typos), hand-made edge
   * cases, and 20,000 random strings over every ASCII character, weighted to the ones folding
   * treats specially.
   */
  private static List<String> asciiCorpus() {
    List<String> corpus = new ArrayList<>();
    for (AgencyRecord r : TracingPopulation.generate(2_000, 17L).agencyRecords()) {
      corpus.add(r.family());
      corpus.add(r.given());
      corpus.add(r.addressLine());
    }
    corpus.addAll(
        List.of(
            "",
            " ",
            "'",
            ".",
            "-",
            "O'Brien",
            "o' brien",
            " Smith-Jones ",
            "ST. JOHN",
            "a--b",
            "- x -",
            "Mc Donald",
            "X\tY",
            "A\u007fB",
            "12 High St.",
            "Flat 3/4, Sea View",
            "'.-. '",
            "Ann2",
            "A_B",
            "  a   b  "));
    Random random = new Random(22);
    String special = " '.-\t0a";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(12);
      for (int j = 0; j < length; j++) {
        s.append(
            random.nextBoolean()
                ? special.charAt(random.nextInt(special.length()))
                : (char) random.nextInt(0x80));
      }
      corpus.add(s.toString());
    }
    return corpus;
  }

  /** The folded text, or the refusal's message: both must be the same. */
  private static String outcome(Function<String, String> fold, String input) {
    try {
      return "folded " + fold.apply(input);
    } catch (IllegalArgumentException e) {
      return "refused " + e.getMessage();
    }
  }
}
