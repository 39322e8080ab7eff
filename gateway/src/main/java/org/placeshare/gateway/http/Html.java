package org.placeshare.gateway.http;

import java.util.List;

/**
 * HTML written by hand, every value escaped on the way in: the console's pages are plain, semantic
 * and script-free, so a hostile value in the audit log can only ever be text.
 */
final class Html {

  private final StringBuilder out = new StringBuilder();

  /** Escapes text for element content and attribute values alike. */
  static String esc(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Appends markup written here (never a value from outside). */
  Html raw(String markup) {
    out.append(markup);
    return this;
  }

  /** Appends a value as text. */
  Html text(Object value) {
    out.append(esc(value));
    return this;
  }

  Html element(String tag, Object text) {
    return raw("<" + tag + ">").text(text).raw("</" + tag + ">");
  }

  /** A table: a caption, header cells, and rows of cells already made safe. */
  Html table(String caption, List<String> headers, List<List<String>> rows) {
    raw("<table><caption>").text(caption).raw("</caption><thead><tr>");
    headers.forEach(h -> raw("<th scope=\"col\">").text(h).raw("</th>"));
    raw("</tr></thead><tbody>");
    for (List<String> row : rows) {
      raw("<tr>");
      row.forEach(cell -> raw("<td>").raw(cell).raw("</td>"));
      raw("</tr>");
    }
    return raw("</tbody></table>");
  }

  /** A labelled text input, its value escaped. */
  Html input(String name, String label, String value) {
    return raw("<p><label for=\"" + name + "\">")
        .text(label)
        .raw("</label> <input id=\"" + name + "\" name=\"" + name + "\" value=\"")
        .text(value)
        .raw("\"></p>");
  }

  /** A link whose target is a console path built here, its parameters escaped. */
  static String link(String href, Object text) {
    return "<a href=\"" + esc(href) + "\">" + esc(text) + "</a>";
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
