package org.placeshare.ops;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * One JSON object per log line, for a log shipper: time, level, logger, message, and for a failure
 * only the kind of exception and where it was thrown. Messages name request ids, never people,
 * tokens or records; an exception's own message is left out because it may quote a value.
 */
final class JsonLogFormatter extends Formatter {

  @Override
  public String format(LogRecord record) {
    JsonObject line =
        new JsonObject()
            .put("time", Instant.ofEpochMilli(record.getMillis()).toString())
            .put("level", record.getLevel().getName())
            .put("logger", record.getLoggerName())
            .put("message", formatMessage(record));
    Throwable thrown = record.getThrown();
    if (thrown != null) {
      line.put("exception", thrown.getClass().getName());
      StackTraceElement[] trace = thrown.getStackTrace();
      if (trace.length > 0) {
        line.put("at", trace[0].toString());
      }
    }
    return line.encode() + System.lineSeparator();
  }

  /**
   * Sends every log record to standard error as JSON lines, replacing the JDK's console handler.
   */
  static void install() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Handler handler =
        new StreamHandler(System.err, new JsonLogFormatter()) {
          @Override
          public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
          }
        };
    handler.setLevel(Level.INFO);
    root.addHandler(handler);
    root.setLevel(Level.INFO);
  }
}
