package org.placeshare.gateway.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.sqlclient.Tuple;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.placeshare.gateway.cohort.DatabaseExportStore;
import org.placeshare.gateway.cohort.ExportStore;
import org.placeshare.gateway.cohort.FolderExportStore;
import org.placeshare.gateway.storage.Database;
import org.placeshare.gateway.storage.EmbeddedPostgres;

/**
 * Export files written, read back for their digest, and downloaded over HTTP (by curl), through
 * each store: the local folder and the database (issue 22). One file of {@code megabytes} of NDJSON
 * lines shaped like a cohort export's Conditions, appended {@code appendKib} at a time (a chunk of
 * members' lines, as the runner appends them), on the embedded PostgreSQL. Rounds alternate folder,
 * database, folder, database, so the machine's load falls on both alike. Run with {@code
 * ops/bench/export-store.sh}.
 *
 * <p>Reports wall-clock MB/s, the CPU the JVM and PostgreSQL spent per MB (from /proc, which the
 * other loads on a shared machine move less), and the heap in use during the download above what it
 * was before (sampled every 5 ms), which stays flat however big the file.
 */
public final class ExportStoreBenchmark {

  public static void main(String[] args) throws Exception {
    int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int appendKib = args.length > 1 ? Integer.parseInt(args[1]) : 96;
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "18600"));
    Path folder = Files.createDirectories(Path.of("target", "bench-export-store"));
    Vertx vertx = Vertx.vertx();
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(folder.resolve("postgres"))) {
      Database db = Database.open(vertx, postgres.url(), folder.resolve("unused")).await();
      // STORAGE=external: parts kept uncompressed (the column's default, extended, lets
      // PostgreSQL compress them with pglz), to weigh the CPU against the space.
      String storage = System.getenv().getOrDefault("STORAGE", "extended");
      // A run stopped part way leaves its jobs in the folder's database: their parts go with them.
      db.pool().query("DELETE FROM cohort").execute().await();
      db.pool().query("VACUUM FULL export_file_part").execute().await();
      db.pool()
          .query("ALTER TABLE export_file_part ALTER COLUMN bytes SET STORAGE " + storage)
          .execute()
          .await();
      Map<String, ExportStore> stores = new HashMap<>();
      stores.put("folder", new FolderExportStore(folder.resolve("exports")));
      stores.put("database", new DatabaseExportStore(db.pool()));
      Map<String, UUID> serving = new HashMap<>();
      HttpServer server =
          vertx
              .createHttpServer()
              .requestHandler(
                  req -> {
                    String name = req.path().substring(1);
                    stores
                        .get(name)
                        .find(serving.get(name), "Condition")
                        .onSuccess(
                            f ->
                                f.orElseThrow()
                                    .send(
                                        req.response()
                                            .putHeader("Content-Type", "application/fhir+ndjson")));
                  })
              .listen(port, "127.0.0.1")
              .await();
      // Made afresh for each round from one seed, an append at a time: the file is never in the
      // heap.
      long total = 0;
      int count = 0;
      for (Appends a = new Appends(megabytes, appendKib); a.hasNext(); count++) {
        total += a.next().length;
      }
      System.out.printf(
          "file: %.1f MB of NDJSON in %d appends of %d KiB; heap limit %d MiB; parts' storage %s%n",
          total / 1e6, count, appendKib, Runtime.getRuntime().maxMemory() >> 20, storage);
      System.out.println(
          "round store    | write MB/s  cpu ms/MB (jvm+pg) | digest MB/s | download MB/s  cpu"
              + " ms/MB (jvm+pg)  heap +MiB  stored MB");
      for (int round = 0; round < 4; round++) {
        String name = round % 2 == 0 ? "folder" : "database";
        ExportStore store = stores.get(name);
        UUID job = job(db);
        store.resume(job, Map.of());
        serving.put(name, job);

        Cpu before = Cpu.now(postgres.pid());
        long t0 = System.nanoTime();
        long offset = 0;
        for (Appends a = new Appends(megabytes, appendKib); a.hasNext(); ) {
          byte[] bytes = a.next();
          store.append(job, "Condition", offset, bytes);
          offset += bytes.length;
        }
        double write = seconds(t0);
        Cpu written = Cpu.now(postgres.pid());
        long stored =
            name.equals("folder")
                ? Files.size(
                    folder.resolve("exports").resolve(job.toString()).resolve("Condition.ndjson"))
                : db.pool()
                    .query("SELECT pg_total_relation_size('export_file_part')")
                    .execute()
                    .await()
                    .iterator()
                    .next()
                    .getLong(0);

        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long t1 = System.nanoTime();
        long read = store.read(job, "Condition", sha::update);
        double digest = seconds(t1);
        check(read == total, "read back " + read + " of " + total);

        Cpu beforeDownload = Cpu.now(postgres.pid());
        HeapPeak heap = HeapPeak.start();
        long t2 = System.nanoTime();
        long downloaded = download(port, name);
        double download = seconds(t2);
        long heapMib = heap.stop() >> 20;
        Cpu downloadedCpu = Cpu.now(postgres.pid());
        check(downloaded == total, "downloaded " + downloaded + " of " + total);

        double mb = total / 1e6;
        System.out.printf(
            "%5d %-8s | %9.1f  %6.1f + %6.1f    | %11.1f | %13.1f  %6.1f + %6.1f    %8d  %9.1f%n",
            round + 1,
            name,
            mb / write,
            (written.jvm - before.jvm) / mb,
            (written.postgres - before.postgres) / mb,
            mb / digest,
            mb / download,
            (downloadedCpu.jvm - beforeDownload.jvm) / mb,
            (downloadedCpu.postgres - beforeDownload.postgres) / mb,
            heapMib,
            stored / 1e6);
        store.delete(job);
        if (name.equals("database")) {
          // Space freed for the next round's size to be its own.
          db.pool().query("VACUUM FULL export_file_part").execute().await();
        }
      }
      long left =
          db.pool()
              .query("SELECT count(*) FROM export_file_part")
              .execute()
              .await()
              .iterator()
              .next()
              .getLong(0);
      System.out.println("parts left after every job's files were deleted: " + left);
      server.close().await();
      db.close().await();
    } finally {
      vertx.close().await();
    }
  }

  /** NDJSON lines shaped like a Condition of the export, ids random (so compression is fair). */
  private static final class Appends {
    private final Random random = new Random(22);
    private final long target;
    private final int appendBytes;
    private long made;

    Appends(int megabytes, int appendKib) {
      this.target = megabytes * 1_000_000L;
      this.appendBytes = appendKib * 1024;
    }

    boolean hasNext() {
      return made < target;
    }

    byte[] next() {
      StringBuilder chunk = new StringBuilder();
      while (chunk.length() < appendBytes) {
        chunk
            .append("{\"resourceType\":\"Condition\",\"id\":\"")
            .append(new UUID(random.nextLong(), random.nextLong()))
            .append("\",\"meta\":{\"security\":[{\"system\":\"http://terminology.hl7.org/")
            .append("CodeSystem/v3-ObservationValue\",\"code\":\"PSEUDED\"}]},")
            .append("\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/")
            .append("CodeSystem/condition-clinical\",\"code\":\"active\"}]},\"code\":{\"coding\":")
            .append("[{\"system\":\"http://snomed.info/sct\",\"code\":\"")
            .append(100_000 + random.nextInt(900_000))
            .append("\",\"display\":\"Synthetic condition ")
            .append(random.nextInt(500))
            .append("\"}]},\"subject\":{\"reference\":\"Patient/")
            .append(new UUID(random.nextLong(), random.nextLong()))
            .append("\"},\"onsetDateTime\":\"20")
            .append(10 + random.nextInt(15))
            .append("-0")
            .append(1 + random.nextInt(9))
            .append("-1")
            .append(random.nextInt(10))
            .append("\"}\n");
      }
      byte[] bytes = chunk.toString().getBytes(StandardCharsets.UTF_8);
      made += bytes.length;
      return bytes;
    }
  }

  /** Downloads with curl, a process of its own: the JVM's CPU is then the server's alone. */
  private static long download(int port, String name) throws Exception {
    Process curl =
        new ProcessBuilder(
                "curl",
                "-sf",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download}",
                "http://127.0.0.1:" + port + "/" + name)
            .redirectErrorStream(true)
            .start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    check(curl.waitFor() == 0, "curl: " + out);
    return Long.parseLong(out);
  }

  private static UUID job(Database db) {
    UUID cohort = UUID.randomUUID();
    UUID job = UUID.randomUUID();
    db.pool()
        .preparedQuery(
            "INSERT INTO cohort (id, organisation, client_id, members, created_at) VALUES ($1,"
                + " 'E08000026', 'bench', 0, now())")
        .execute(Tuple.of(cohort))
        .await();
    db.pool()
        .preparedQuery(
            "INSERT INTO export_job (id, kind, cohort_id, organisation, client_id, user_id, role,"
                + " purpose, request, status, created_at) VALUES ($1, 'export', $2, 'E08000026',"
                + " 'bench', 'u', 'analyst', 'PUBHLTH', 'r', 'running', now())")
        .execute(Tuple.of(job, cohort))
        .await();
    return job;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }

  /** CPU milliseconds so far: this JVM, and the PostgreSQL server with all its backends. */
  private record Cpu(double jvm, double postgres) {

    static Cpu now(long postmaster) throws Exception {
      double jvm =
          ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                  .getProcessCpuTime()
              / 1e6;
      double pg = 0;
      try (var procs = Files.list(Path.of("/proc"))) {
        for (Path p : procs.toList()) {
          String name = p.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          try {
            String stat = Files.readString(p.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long pid = Long.parseLong(name);
            long ppid = Long.parseLong(f[1]);
            if (pid == postmaster || ppid == postmaster) {
              // utime + stime, in clock ticks of 10 ms
              pg += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
            }
          } catch (java.io.IOException gone) {
            // a backend that ended between the listing and the read
          }
        }
      }
      return new Cpu(jvm, pg);
    }
  }

  /** The heap in use above where it was at the start, at its highest, sampled every 5 ms. */
  private static final class HeapPeak {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final long base;
    private volatile boolean running = true;
    private final Thread sampler;

    private HeapPeak() {
      System.gc();
      base = memory.getHeapMemoryUsage().getUsed();
      sampler =
          new Thread(
              () -> {
                while (running) {
                  peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed() - base, Math::max);
                  try {
                    Thread.sleep(5);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      sampler.setDaemon(true);
      sampler.start();
    }

    static HeapPeak start() {
      return new HeapPeak();
    }

    long stop() throws InterruptedException {
      running = false;
      sampler.join();
      return Math.max(0, peak.get());
    }
  }
}
