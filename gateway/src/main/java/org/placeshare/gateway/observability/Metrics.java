package org.placeshare.gateway.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.placeshare.fhir.RecordSource;
import org.placeshare.gateway.audit.AuditEvent;
import org.placeshare.gateway.audit.Witnessing;
import org.placeshare.gateway.audit.WitnessingConfig;

/**
 * The gateway's Prometheus metrics, served at {@code /metrics} on the management listener. Labels
 * name routes, statuses, agreements, sources and fields; never a person, a user or a token.
 */
public final class Metrics {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  /** The text exposition format for a scrape. */
  public String scrape() {
    return registry.scrape();
  }

  public void request(String route, int status, long nanos) {
    Timer.builder("placeshare.http.requests")
        .description("HTTP requests by route and status")
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  public void decision(String agreement, String effect) {
    Counter.builder("placeshare.decisions")
        .description("Policy decisions by agreement and effect")
        .tag("agreement", agreement)
        .tag("effect", effect)
        .register(registry)
        .increment();
  }

  /** One cohort member through a bulk job: released, left-out, or failed. */
  public void cohortMember(String kind, String outcome) {
    Counter.builder("placeshare.cohort.members")
        .description("Cohort members taken by bulk jobs, by job kind and outcome")
        .tag("kind", kind)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** A bulk job ended: complete or failed. */
  public void cohortJob(String kind, String status) {
    Counter.builder("placeshare.cohort.jobs")
        .description("Bulk jobs ended, by kind and status")
        .tag("kind", kind)
        .tag("status", status)
        .register(registry)
        .increment();
  }

  /**
   * A release's records, once its audit event is durable, counted under the permitting agreement.
   */
  public void released(AuditEvent event) {
    for (AuditEvent.SourceDecision d : event.decisions()) {
      List<String> refs = event.released().get(d.source());
      if (refs != null && d.agreement().isPresent()) {
        // The agreement's id from its reference id@version.
        released(d.agreement().get().split("@", 2)[0], refs.size());
      }
    }
  }

  private void released(String agreement, int records) {
    Counter.builder("placeshare.records.released")
        .description("Records released, by agreement")
        .tag("agreement", agreement)
        .register(registry)
        .increment(records);
  }

  /**
   * A reported change stored (outcome {@code new}) or sent again and given back as stored ({@code
   * repeat}), by event kind. A clash under a used id is neither: it is refused (409).
   */
  public void eventReceived(String kind, String outcome) {
    Counter.builder("placeshare.notifications.events")
        .description("Reported changes received, by event kind and outcome (new, repeat)")
        .tag("kind", kind)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /**
   * One outcome of a notification's delivery: {@code delivered}, {@code refused} (at delivery, by
   * policy), {@code failed-try} (to be tried again) or {@code dead} (the last try failed).
   */
  public void delivery(String outcome) {
    Counter.builder("placeshare.notifications.deliveries")
        .description("Notification delivery outcomes: delivered, refused, failed-try, dead")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  public void fetched(String source, String result, long nanos) {
    Timer.builder("placeshare.source.fetch")
        .description("Fetches from sources, by result")
        .tag("source", source)
        .tag("result", result)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  public void dataQuality(String source, String field) {
    Counter.builder("placeshare.data.quality.findings")
        .description("Data-quality findings, by source and field")
        .tag("source", source)
        .tag("field", field)
        .register(registry)
        .increment();
  }

  public void auditBatch(int events, long nanos) {
    DistributionSummary.builder("placeshare.audit.batch.events")
        .description("Events per audit commit (group commit)")
        .register(registry)
        .record(events);
    Timer.builder("placeshare.audit.commit")
        .description("Time to commit one batch of audit events")
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  public <T> void counterOf(String name, String description, T state, ToDoubleFunction<T> count) {
    FunctionCounter.builder(name, state, count).description(description).register(registry);
  }

  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /**
   * Witnessing's gauges: the size each witness last cosigned, and how long the oldest checkpoint
   * newer than the newest witnessed one has waited.
   */
  public void witnessing(Witnessing witnessing) {
    for (WitnessingConfig.Witness w : witnessing.config().witnesses()) {
      Gauge.builder(
              "placeshare.audit.witness.size",
              witnessing,
              x ->
                  x.status().witnesses().stream()
                      .filter(s -> s.name().equals(w.name()))
                      .mapToLong(Witnessing.WitnessState::size)
                      .findFirst()
                      .orElse(0))
          .description("The audit log's tree size each witness last cosigned")
          .tag("witness", w.name())
          .register(registry);
    }
    Gauge.builder(
            "placeshare.audit.witness.lag.seconds", witnessing, x -> x.status().lag().toSeconds())
        .description(
            "How long the oldest checkpoint newer than the newest witnessed one has waited")
        .register(registry);
  }

  /** 1 for each source being left alone by its circuit breaker. */
  public void sources(List<RecordSource> sources) {
    for (RecordSource s : sources) {
      Gauge.builder("placeshare.source.left.alone", s, x -> x.unavailable().isPresent() ? 1 : 0)
          .description("1 while a source is left alone after repeated failures")
          .tag("source", s.descriptor().id())
          .register(registry);
    }
  }
}
