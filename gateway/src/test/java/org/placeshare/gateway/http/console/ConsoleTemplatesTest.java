package org.placeshare.gateway.http.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The templates on their own: every value a page is given is escaped for where it lands, in element
 * text and in attribute values, whatever its source.
 */
class ConsoleTemplatesTest {

  static final String SCRIPT = "<script>alert(1)</script>";
  static final String BREAKOUT = "\" onmouseover=\"alert(2)";

  /** The breakout succeeding: an onmouseover attribute inside a tag. */
  static final String NEW_ATTRIBUTE = "<[^>]*\\sonmouseover=\"";

  final ConsoleTemplates templates = new ConsoleTemplates();

  static Chrome hostileChrome() {
    return Chrome.signedIn("Audit search", new Chrome.SignedIn(SCRIPT, "QWU", BREAKOUT));
  }

  @Test
  void render_scriptInASignedInUserId_isTextInTheHeader() {
    String html = templates.render(new SignInPage(hostileChrome(), Optional.of(SCRIPT)));

    assertThat(html)
        .contains("signed in as &lt;script&gt;alert(1)&lt;/script&gt; (QWU)")
        .contains("<p class=\"message\" role=\"alert\">&lt;script&gt;alert(1)&lt;/script&gt;</p>")
        .doesNotContain("<script");
  }

  @Test
  void render_quoteInAnAttributeValue_staysInsideTheAttribute() {
    String html =
        templates.render(
            new AuditSearchPage(
                hostileChrome(),
                Optional.empty(),
                List.of(new AuditSearchPage.Field("user", "User", BREAKOUT + SCRIPT, BREAKOUT)),
                List.of(new AuditSearchPage.Choice(BREAKOUT, SCRIPT, true)),
                List.of(),
                List.of(),
                Optional.empty()));

    assertThat(html)
        .contains("name=\"csrf\" value=\"&#34; onmouseover=&#34;alert(2)\"")
        .contains("value=\"&#34; onmouseover=&#34;alert(2)&lt;script&gt;alert(1)&lt;/script&gt;\"")
        .doesNotContainPattern(NEW_ATTRIBUTE)
        .doesNotContain("<script");
  }

  @Test
  void render_scriptInAuditRowsAndEventFacts_isTextInTheCells() {
    String search =
        templates.render(
            new AuditSearchPage(
                hostileChrome(),
                Optional.empty(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                Optional.of(
                    new AuditSearchPage.Results(
                        List.of(
                            new AuditSearchPage.Row(
                                "t", "a", "o", "n", "org", SCRIPT, "p", "/console/events/x")),
                        "/console/audit.csv?",
                        Optional.empty()))));
    String event =
        templates.render(
            new EventPage(
                hostileChrome(),
                7,
                List.of(new EventPage.Fact("What happened", SCRIPT)),
                Optional.empty(),
                List.of(new EventPage.SourceDecision(SCRIPT, List.of(SCRIPT))),
                List.of(SCRIPT),
                Optional.of(
                    new EventPage.Household(
                        SCRIPT,
                        List.of(new EventPage.Link(SCRIPT, "/console/events/" + BREAKOUT)))),
                Optional.of(List.of(new EventPage.Review("t", "r", "appropriate", SCRIPT, 3)))));

    assertThat(search)
        .contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>")
        .doesNotContain("<script");
    assertThat(event)
        .contains("<dd>&lt;script&gt;alert(1)&lt;/script&gt;</dd>")
        .contains("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")
        .doesNotContainPattern(NEW_ATTRIBUTE)
        .contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>")
        .doesNotContain("<script");
  }

  @Test
  void render_scriptInAnAgreementsTitleBusinessCaseAndId_isTextInTextAndSvg() {
    LocalDate today = LocalDate.of(2026, 11, 1);
    String html =
        templates.render(
            new AgreementsPage(
                hostileChrome(),
                List.of(
                    new AgreementsPage.Agreement(
                        BREAKOUT,
                        SCRIPT + " (REF)",
                        "terms",
                        "parties",
                        SCRIPT,
                        Optional.of(
                            List.of(new AgreementsPage.Listing("Measures", List.of(SCRIPT)))),
                        AgreementsPage.Chart.of(BREAKOUT, today, Map.of()),
                        List.of()))));

    assertThat(html)
        .contains("<h2>&lt;script&gt;alert(1)&lt;/script&gt; (REF)</h2>")
        .contains("<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>")
        .contains("aria-labelledby=\"chart-&#34; onmouseover=&#34;alert(2)\"")
        .contains("<caption>Use of \" onmouseover=\"alert(2) by day")
        .doesNotContainPattern(NEW_ATTRIBUTE)
        .doesNotContain("<script");
  }
}
