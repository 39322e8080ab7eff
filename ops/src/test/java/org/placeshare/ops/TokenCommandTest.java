package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code token --help} tells the truth about the demo's clients: every one, as registered. */
class TokenCommandTest {

  @Test
  void help_listsEveryDemoClient_withItsOrganisationUserRoleAndPurposes() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new Ops());
    cli.setOut(new PrintWriter(out));

    int code = cli.execute("token", "--help");

    assertThat(code).isZero();
    String help = out.toString();
    for (DemoClient c : DemoClient.values()) {
      assertThat(help)
          .as(c.id)
          .containsPattern(
              "(?m)^  "
                  + c.id
                  + " +"
                  + c.organisation
                  + " +"
                  + java.util.regex.Pattern.quote(c.user)
                  + " +"
                  + c.role
                  + " +"
                  + String.join(", ", c.purposes)
                  + "$");
    }
    assertThat(help)
        .contains("--client=<client>     the demo client: council-intel, coventry-ae,")
        .contains("coventry-frailty, ig-console")
        .contains("The token lasts five minutes");
  }

  @Test
  void unknownClient_isNamed_withEveryDemoClient_andExits2() {
    StringWriter err = new StringWriter();
    var saved = System.err;
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
    int code;
    try {
      CommandLine cli = new CommandLine(new Ops());
      cli.setErr(new PrintWriter(err));
      code = cli.execute("token", "--client", "nope", "--purpose", "TREAT");
    } finally {
      System.setErr(saved);
    }

    assertThat(code).isEqualTo(2);
    assertThat(bytes.toString(java.nio.charset.StandardCharsets.UTF_8))
        .isEqualToIgnoringNewLines(
            "unknown client 'nope': expected one of council-intel, coventry-ae, coventry-frailty,"
                + " ig-console, council-steward, police-steward, council-safeguarding,"
                + " council-events, gp-notify, housing-notify, police-notify");
  }
}
