package org.placeshare.gateway.http.console;

import gg.jte.TemplateOutput;
import gg.jte.html.OwaspHtmlTemplateOutput;

/**
 * jte's contextual HTML escaping, with one addition: in an attribute value {@code >} is written as
 * {@code &gt;} too. jte (like the OWASP encoder) leaves it, which the HTML standard allows inside a
 * quoted value; the console has always escaped it, so a hostile value echoed into a form field
 * reads the same escaped way in the page source as in the page's text, and no older parser can take
 * it for the end of a tag.
 */
final class AttributeSafeOutput extends OwaspHtmlTemplateOutput {

  private boolean inAttribute;

  AttributeSafeOutput(TemplateOutput output) {
    super(output);
  }

  @Override
  public void setContext(String tagName, String attributeName) {
    super.setContext(tagName, attributeName);
    inAttribute = attributeName != null;
  }

  @Override
  public void writeUserContent(String value) {
    if (!inAttribute || value == null || value.indexOf('>') < 0) {
      super.writeUserContent(value);
      return;
    }
    int from = 0;
    for (int at = value.indexOf('>'); at >= 0; at = value.indexOf('>', from)) {
      super.writeUserContent(value.substring(from, at));
      writeContent("&gt;");
      from = at + 1;
    }
    super.writeUserContent(value.substring(from));
  }
}
