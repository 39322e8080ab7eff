package org.placeshare.policy.identity;

import java.io.IOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;

/**
 * Writes a private key or secret to a file that is owner-only from the moment it exists. Creating a
 * file with the process's umask and narrowing it afterwards leaves a window in which another local
 * user can open it and read the key once written (a handle opened then stays readable): a reviewer
 * read a witness key that way in 2 of 5 tries.
 */
public final class SecretFile {

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private SecretFile() {}

  /**
   * Writes {@code text} to {@code file}, owner-only from its first byte: into a new owner-only file
   * beside it, then moved into place (replacing one that exists, so readers never see a part).
   */
  public static void write(Path file, String text) throws IOException {
    Path folder = file.toAbsolutePath().getParent();
    Files.createDirectories(folder);
    Path part = folder.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".part");
    FileChannel channel;
    try {
      channel =
          FileChannel.open(
              part, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY);
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the folder's own protection applies.
      channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    try (Writer out = Channels.newWriter(channel, StandardCharsets.UTF_8)) {
      out.write(text);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(part);
      throw e;
    }
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
