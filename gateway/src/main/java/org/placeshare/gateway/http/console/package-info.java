/**
 * The IG console's pages: one immutable view model (a record) per page and the jte templates in
 * {@code src/main/jte} that render them, compiled to Java at build time. Templates escape every
 * value by its HTML context (text, attribute), so a value from the audit log, a policy file or a
 * form is only ever text. This package knows no HTTP and no storage; the console's handlers gather
 * the data and hand it over as these records.
 */
package org.placeshare.gateway.http.console;
