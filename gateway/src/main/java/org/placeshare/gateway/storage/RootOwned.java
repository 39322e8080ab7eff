package org.placeshare.gateway.storage;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Folders only root can change, made or checked from the top: every folder on the way is root's and
 * writable by no one else (or, like {@code /tmp}, sticky, so no one else can replace what root put
 * there); the folders made here are root's, mode 0711 (others may pass, not list), and none is a
 * symbolic link. Anything else is refused, not repaired: it may be an attacker's.
 */
final class RootOwned {

  private static final int STICKY = 01000;

  private RootOwned() {}

  static Path directory(Path dir) throws IOException {
    dir = dir.toAbsolutePath().normalize();
    Path at = dir.getRoot();
    check(at, false);
    for (int i = 0; i < dir.getNameCount(); i++) {
      boolean last = i == dir.getNameCount() - 1;
      Path next = at.resolve(dir.getName(i));
      if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
        try {
          Files.createDirectory(next);
          Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (FileAlreadyExistsException e) {
          // Made meanwhile (another gateway starting): the check below decides, as for any.
        }
      }
      if (Files.isSymbolicLink(next) && !last) {
        // A link on the way (/var -> /private/var) is followed once checked to be root's.
        check(next, false);
        next = next.toRealPath();
      }
      check(next, last);
      at = next;
    }
    return at;
  }

  private static void check(Path p, boolean last) throws IOException {
    int owner = uid(p);
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    boolean link = Files.isSymbolicLink(p);
    String problem = null;
    if (owner != 0) {
      problem = "is owned by uid " + owner + ", not root";
    } else if (link && last) {
      problem = "is a symbolic link";
    } else if (!link && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      problem = "is not a folder";
    } else if (!link && (mode & 0022) != 0 && (last || (mode & STICKY) == 0)) {
      problem = "is writable by others (mode 0" + Integer.toOctalString(mode & 07777) + ")";
    } else if (!link && (mode & 0001) == 0) {
      problem = "cannot be entered by '" + EmbeddedPostgres.UNPRIVILEGED_USER + "'";
    }
    if (problem != null) {
      throw new AccessDeniedException(
          p.toString(),
          null,
          "refusing to keep the embedded PostgreSQL's files here: "
              + problem
              + "; expected folders only root can change");
    }
  }

  static int uid(Path p) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }
}
