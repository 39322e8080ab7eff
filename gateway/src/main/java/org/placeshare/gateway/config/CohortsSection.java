package org.placeshare.gateway.config;

import static org.placeshare.gateway.config.ConfigChecks.path;
import static org.placeshare.gateway.config.ConfigChecks.within;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.placeshare.gateway.config.GatewayConfig.Cohorts;
import org.placeshare.gateway.config.GatewayConfig.Cohorts.FileStore;
import org.placeshare.gateway.config.RawConfig.RawCohorts;

/** Cohort limits, each defaulted and bounded. */
final class CohortsSection {

  private CohortsSection() {}

  static Cohorts cohorts(List<String> problems, Path base, RawConfig raw) {
    Path dataDir = raw.dataDir() == null ? base : path(base, raw.dataDir());
    Cohorts d = Cohorts.defaults(dataDir);
    RawCohorts c = raw.cohorts();
    if (c == null) {
      return d;
    }
    Cohorts cohorts =
        new Cohorts(
            c.maxMembers() == null ? d.maxMembers() : c.maxMembers(),
            c.concurrency() == null ? d.concurrency() : c.concurrency(),
            c.leaseSeconds() == null ? d.lease() : Duration.ofSeconds(c.leaseSeconds()),
            c.keepHours() == null ? d.keep() : Duration.ofHours(c.keepHours()),
            c.suppressBelow() == null ? d.suppressBelow() : c.suppressBelow(),
            c.maxJobsPerClient() == null ? d.maxJobsPerClient() : c.maxJobsPerClient(),
            c.directory() == null ? d.directory() : path(base, c.directory()),
            store(problems, c));
    within(problems, "cohorts.maxMembers", cohorts.maxMembers(), 1, 1_000_000);
    within(problems, "cohorts.concurrency", cohorts.concurrency(), 1, 256);
    within(problems, "cohorts.leaseSeconds", cohorts.lease().toSeconds(), 2, 3600);
    within(problems, "cohorts.keepHours", cohorts.keep().toHours(), 1, 24 * 90);
    within(problems, "cohorts.suppressBelow", cohorts.suppressBelow(), 2, 1000);
    within(problems, "cohorts.maxJobsPerClient", cohorts.maxJobsPerClient(), 1, 100);
    return cohorts;
  }

  /**
   * {@code folder} (the default) or {@code database}; a folder named for the database is refused.
   */
  private static FileStore store(List<String> problems, RawCohorts c) {
    if (c.store() == null || c.store().equals(FileStore.FOLDER.code())) {
      return FileStore.FOLDER;
    }
    if (!c.store().equals(FileStore.DATABASE.code())) {
      problems.add("cohorts.store: expected folder or database, got " + c.store());
      return FileStore.FOLDER;
    }
    if (c.directory() != null) {
      // Contradictory: files said to be in the database and in a folder.
      problems.add("cohorts.directory: the files are in the database (store: database); remove it");
    }
    return FileStore.DATABASE;
  }
}
