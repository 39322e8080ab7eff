package org.placeshare.gateway.http.console;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * Renders console pages through jte's templates, precompiled into this package by the build (no
 * template is compiled or read from disk at run time). {@link ContentType#Html} escapes each value
 * for where it lands: element text, attribute value, or script and style, which the templates do
 * not use; {@link AttributeSafeOutput} adds {@code >} to what an attribute value escapes.
 */
public final class ConsoleTemplates {

  private final TemplateEngine engine =
      TemplateEngine.createPrecompiled(
          null,
          ContentType.Html,
          ConsoleTemplates.class.getClassLoader(),
          ConsoleTemplates.class.getPackageName());

  /** The page as a complete HTML document. */
  public String render(ConsolePage page) {
    StringOutput out = new StringOutput();
    engine.render(page.template(), page, new AttributeSafeOutput(out));
    return out.toString();
  }
}
