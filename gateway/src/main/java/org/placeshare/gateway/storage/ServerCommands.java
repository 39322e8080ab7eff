package org.placeshare.gateway.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** Runs the server's programs, each with its output in an owner-only log, and reads those logs. */
final class ServerCommands {

  private ServerCommands() {}

  /**
   * Starts a command with its output, stdout and stderr together, in an owner-only log file (the
   * server's log may quote a failed statement).
   */
  static Process launch(List<String> command, Path log, boolean append) throws IOException {
    if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
      Files.createFile(log);
    }
    ownerOnly(log);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(
            append
                ? ProcessBuilder.Redirect.appendTo(log.toFile())
                : ProcessBuilder.Redirect.to(log.toFile()))
        .start();
  }

  /** What a log holds past an offset. */
  static String written(Path log, long from) throws IOException {
    try (var channel = FileChannel.open(log)) {
      long size = channel.size();
      if (size <= from) {
        return "";
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - from, 1 << 20));
      channel.read(buffer, from);
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
  }

  /** Runs one of the server's programs to its end; its failure names it and quotes its log. */
  static void run(String program, List<String> command, Path log, boolean mayFail)
      throws IOException {
    Process process = launch(command, log, false);
    try {
      int code = process.waitFor();
      if (code != 0 && !mayFail) {
        throw new IOException(program + " failed (exit " + code + "): " + tail(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + program, e);
    }
  }

  static void ownerOnly(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
