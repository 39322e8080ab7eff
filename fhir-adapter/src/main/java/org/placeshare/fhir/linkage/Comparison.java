package org.placeshare.fhir.linkage;

/** One field's comparison: the level two people's demographics agree at. Pure. */
public interface Comparison {

  String field();

  Level compare(Demographics a, Demographics b);
}
