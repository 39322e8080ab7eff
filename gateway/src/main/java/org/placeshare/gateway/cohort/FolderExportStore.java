package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A job's files in a folder of its own under the export folder, one file per type, forced to disk
 * at each append. The single-machine default: another instance serves them only if the folder is on
 * storage it mounts too.
 */
public final class FolderExportStore implements ExportStore {

  private static final String SUFFIX = ".ndjson";

  /** What a read holds at once. */
  static final int READ_BUFFER_BYTES = 64 * 1024;

  private final Path root;

  public FolderExportStore(Path root) {
    this.root = root;
  }

  Path folder(UUID job) {
    return root.resolve(job.toString());
  }

  private Path path(UUID job, String type) {
    return folder(job).resolve(type + SUFFIX);
  }

  @Override
  public void append(UUID job, String type, long offset, byte[] bytes) {
    // No folder made here: resume makes it, and a folder deleted under a running job (its cancel)
    // is the write's failure.
    try {
      try (FileChannel c =
          FileChannel.open(path(job, type), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        if (c.size() != offset) {
          throw new ExportStoreException(
              "the export's " + type + " file is not the length its progress recorded", null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          c.write(buffer);
        }
        c.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void resume(UUID job, Map<String, Long> lengths) {
    try {
      Path folder = Files.createDirectories(folder(job));
      for (Map.Entry<String, Long> recorded : lengths.entrySet()) {
        Path f = path(job, recorded.getKey());
        if (!Files.isRegularFile(f) || Files.size(f) < recorded.getValue()) {
          throw new IllegalStateException(
              "the export's "
                  + recorded.getKey()
                  + " file is missing or shorter than its checkpoint");
        }
      }
      try (Stream<Path> present = Files.list(folder)) {
        for (Path f : present.toList()) {
          Long recorded = lengths.get(f.getFileName().toString().replace(SUFFIX, ""));
          if (recorded == null) {
            Files.delete(f);
          } else {
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
              c.truncate(recorded);
              c.force(true);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public long read(UUID job, String type, Consumer<ByteBuffer> into) {
    Path file = path(job, type);
    if (!Files.isRegularFile(file)) {
      return 0;
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[READ_BUFFER_BYTES];
      long length = 0;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        into.accept(ByteBuffer.wrap(buffer, 0, n));
        length += n;
      }
      return length;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void delete(UUID job) {
    Path folder = folder(job);
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(folder)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Future<Optional<StoredFile>> find(UUID job, String type) {
    Path file = path(job, type);
    try {
      return Future.succeededFuture(
          Files.isRegularFile(file)
              ? Optional.of(new OnDisk(file, Files.size(file)))
              : Optional.empty());
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
  }

  /** A file on this machine's disk, sent by the kernel (sendfile) without passing the heap. */
  private record OnDisk(Path file, long length) implements StoredFile {

    @Override
    public Future<Void> send(HttpServerResponse response) {
      return response.sendFile(file.toString());
    }
  }
}
