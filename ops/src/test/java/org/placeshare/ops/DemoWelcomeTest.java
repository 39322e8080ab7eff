package org.placeshare.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The demo's banner says what was asked for: the people it holds and the sources left down. */
class DemoWelcomeTest {

  @Test
  void welcome_moreThanFiftyPeopleAndASourceDown_printsTheRealRangeAndThatItIsDown()
      throws Exception {
    // Under target/ (not @TempDir): its folders must be enterable by the server user under root.
    Path folder = Files.createDirectories(Path.of("target", "demo-welcome-" + System.nanoTime()));
    Clock clock = Clock.systemUTC();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String output;
    String last;
    try (Demo demo =
        Demo.start(
            new DemoFolder(folder), "127.0.0.1", port, clock, Set.of(Demo.ACUTE_SOURCE), 60)) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      demo.printWelcome(new PrintStream(buffer, true, StandardCharsets.UTF_8), clock);
      output = buffer.toString(StandardCharsets.UTF_8);
      last = demo.people.get(59).nhsNumber().formatted();
    }

    assertThat(output)
        .contains("60 synthetic people, NHS numbers 999 000 0018 to " + last + ";")
        .contains("acute-r9a is down (--down): views go on without it")
        .doesNotContain("Start with --down");
  }
}
