package org.placeshare.gateway.storage;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;

/** Runs the server's commands as this process's user, or as an unprivileged one under root. */
record RunAs(int self, UserPrincipal user, Integer uid, Integer gid) {

  static RunAs forFolder(Path folder) throws IOException {
    Path probe = Files.createTempFile(folder, "whoami", ".tmp");
    try {
      int me = (Integer) Files.getAttribute(probe, "unix:uid");
      if (me != 0) {
        return new RunAs(me, null, null, null);
      }
      UserPrincipal user =
          folder
              .getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(EmbeddedPostgres.UNPRIVILEGED_USER);
      Files.setOwner(probe, user);
      int uid = (Integer) Files.getAttribute(probe, "unix:uid");
      int gid = (Integer) Files.getAttribute(probe, "unix:gid");
      return new RunAs(me, user, uid, gid);
    } finally {
      Files.deleteIfExists(probe);
    }
  }

  boolean isRoot() {
    return uid != null;
  }

  /** The first folder from the top that the unprivileged user cannot pass, or null. */
  Path firstClosed(Path folder) throws IOException {
    Path closedAt = null;
    for (Path p = folder; p != null; p = p.getParent()) {
      if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        closedAt = p;
      }
    }
    return closedAt;
  }

  /**
   * The cluster must be the server user's alone: its own, mode 0700, not a link (PostgreSQL checks
   * the mode too, but not who put the folder there).
   */
  void checkData(Path data) throws IOException {
    int owner = (Integer) Files.getAttribute(data, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) Files.getAttribute(data, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    int expected = uid != null ? uid : self;
    if (Files.isSymbolicLink(data) || owner != expected || (mode & 0077) != 0) {
      throw new AccessDeniedException(
          data.toString(),
          null,
          "expected the PostgreSQL data folder to be a folder owned by uid "
              + expected
              + " with mode 0700, got owner "
              + owner
              + " and mode 0"
              + Integer.toOctalString(mode & 0777)
              + (Files.isSymbolicLink(data) ? " (a symbolic link)" : ""));
    }
  }

  void own(Path path) throws IOException {
    if (user != null) {
      Files.setOwner(path, user);
    }
  }

  List<String> command(String... args) {
    List<String> out = new ArrayList<>();
    if (uid != null) {
      out.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
    }
    out.addAll(List.of(args));
    return out;
  }
}
