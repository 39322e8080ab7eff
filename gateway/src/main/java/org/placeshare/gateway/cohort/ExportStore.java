package org.placeshare.gateway.cohort;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Where a bulk job's NDJSON files are kept: written a chunk at a time by the instance that runs the
 * job, cut back to a checkpoint when a job resumes, and sent by whichever instance a download
 * reaches. The local folder ({@link FolderExportStore}) serves a single machine; the database
 * ({@link DatabaseExportStore}) serves a fleet (docs/cohorts.md, {@code cohorts.store}).
 *
 * <p>A file is a sequence of appends, each at a known offset, so a store that cannot append in
 * place can keep each append as an object of its own: an S3-compatible store would name one object
 * by job, type and offset, cut back by deleting the objects at or past an offset, and read them in
 * the order of their offsets.
 *
 * <p>The writing and reading methods block: they are called off the event loop. {@link #find} and
 * {@link StoredFile#send} do not. Files are named by resource type; callers check the name first.
 */
public interface ExportStore {

  /**
   * Appends {@code bytes} to the job's file of {@code type}, which must be {@code offset} bytes
   * long (0 for a new file); on return the bytes are durable. A store that cannot take them throws
   * {@link ExportStoreException}, having kept nothing past {@code offset} that a resume would not
   * cut back.
   */
  void append(UUID job, String type, long offset, byte[] bytes);

  /**
   * Makes the job's files ready to continue from a checkpoint: each of {@code lengths} (type to
   * bytes) cut back to its length, every other file of the job removed.
   *
   * @throws IllegalStateException when a file is missing or shorter than its length
   */
  void resume(UUID job, Map<String, Long> lengths);

  /**
   * Reads the job's file of {@code type} from its start, in order, a bounded piece at a time;
   * returns the length read (0 for no file).
   */
  long read(UUID job, String type, Consumer<ByteBuffer> into);

  /** Removes the job's files; nothing of them is left. */
  void delete(UUID job);

  /** The job's file of {@code type}, if there is one. */
  Future<Optional<StoredFile>> find(UUID job, String type);

  /** One stored file, ready to send. */
  interface StoredFile {

    long length();

    /**
     * Sends the file's bytes as the body of {@code response} (its other headers already set), with
     * a {@code Content-Length}, holding a bounded piece of it at a time. A store that fails part
     * way resets the response, so that no client takes a short body for the whole file.
     */
    Future<Void> send(HttpServerResponse response);
  }
}
