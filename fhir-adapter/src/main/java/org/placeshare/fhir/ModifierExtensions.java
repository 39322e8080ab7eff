package org.placeshare.fhir;

import java.util.function.Predicate;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseExtension;
import org.hl7.fhir.instance.model.api.IBaseHasModifierExtensions;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.Property;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * A modifier extension changes the meaning of what it is on (a Condition refuted, a statement
 * negated), so nothing in it may be changed on the way out: the record leaves with it whole, or
 * stays behind. The release changes two things in it: a URI pointing at a source's server is
 * removed ({@link InternalAddresses}), and a reference is resolved in the Bundle or removed ({@link
 * BundleReferences}), which cannot be known for one record while the view is being built. So a
 * record with a modifier extension that holds either stays behind.
 */
final class ModifierExtensions {

  private ModifierExtensions() {}

  /** Whether anything inside a modifier extension of the record, at any depth, is such. */
  static boolean hold(Resource r, Predicate<Base> such) {
    for (IBase element : PopulatedElements.of(r, IBase.class)) {
      if (element instanceof IBaseHasModifierExtensions m) {
        for (IBaseExtension<?, ?> extension : m.getModifierExtension()) {
          if (holds((Base) extension, such)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** Whether a modifier extension of the record names another record (not one it contains). */
  static boolean nameAnotherRecord(Resource r) {
    return hold(
        r,
        e ->
            e instanceof Reference ref
                && ref.getReference() != null
                && !ref.getReference().startsWith("#"));
  }

  private static boolean holds(Base element, Predicate<Base> such) {
    if (such.test(element)) {
      return true;
    }
    for (Property child : element.children()) {
      for (Base value : child.getValues()) {
        if (value != null && holds(value, such)) {
          return true;
        }
      }
    }
    return false;
  }
}
