/**
 * The release as it was before issue 22 (commit f0f1085): {@code PersonView}, {@code
 * ReleaseObligations}, {@code AboutThePerson}, {@code BundleReferences} and {@code Pseudonyms},
 * copied unchanged but for their names. {@code ReleasedViewEquivalenceTest} runs it and today's
 * release over the test corpus and requires the same bytes: the speed-ups of issue 22 must not
 * change what leaves. A later change that means to change what leaves changes that test's corpus or
 * retires this copy, saying so.
 */
package org.placeshare.fhir.previous;
