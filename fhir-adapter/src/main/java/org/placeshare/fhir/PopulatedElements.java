package org.placeshare.fhir;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeChildDirectResource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseExtension;
import org.hl7.fhir.instance.model.api.IBaseHasExtensions;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.Extension;

/**
 * The non-empty elements of one type in a resource, in the order and with the scope of HAPI's
 * {@code FhirTerser.getAllPopulatedChildElementsOfType}: the resource's own elements, its contained
 * resources, and the targets of its references that carry a resource with no id or a local one;
 * never a resource embedded as a child ({@code Bundle.entry.resource}).
 *
 * <p>Why not the terser itself: a walk costs about the same whatever it looks for (it reads every
 * field of every element through HAPI's reflective accessors), and the release read each record
 * nine times over, for references, identifiers, codes and URIs, which made those walks the largest
 * part of the gateway's own work on a view after HAPI's parse and serialise (issue 22). This walk
 * can look for two types at once ({@link #of(IBaseResource, Class, Class)}), so the release reads a
 * record five times. It also keeps no path of names to each element, as the terser copies for every
 * one, and asks only an element of a type looked for (or a reference before its target is followed)
 * whether it is empty: an empty element has nothing non-empty below it, so nothing is found there
 * either way. {@code ReleasedViewEquivalenceTest} checks it finds what the terser finds.
 */
final class PopulatedElements {

  private PopulatedElements() {}

  /** The non-empty elements of {@code type} (or a subtype) in the resource, in document order. */
  static <T extends IBase> List<T> of(IBaseResource resource, Class<T> type) {
    List<T> found = new ArrayList<>();
    walk(resource, type, true, (element, child) -> found.add(type.cast(element)));
    return found;
  }

  /**
   * What {@link #of} finds for two types, in one walk, and whether the walk passed a modifier
   * extension ({@link ModifierExtensions}): a record nearly never has one, and this saves it a walk
   * to find out.
   */
  record Two<A extends IBase, B extends IBase>(
      List<A> first, List<B> second, boolean modifierExtensions) {}

  /**
   * {@code of(resource, a)} and {@code of(resource, b)} in one walk, for two types neither of which
   * is a subtype of the other: a walk costs about as much whatever it looks for.
   */
  static <A extends IBase, B extends IBase> Two<A, B> of(
      IBaseResource resource, Class<A> a, Class<B> b) {
    List<A> first = new ArrayList<>();
    List<B> second = new ArrayList<>();
    FhirContext context = Fhir.context();
    boolean[] modifiers = {false};
    new Walk(
            context,
            e -> a.isInstance(e) || b.isInstance(e),
            true,
            (element, child) -> {
              if (a.isInstance(element)) {
                first.add(a.cast(element));
              } else {
                second.add(b.cast(element));
              }
            },
            Collections.newSetFromMap(new IdentityHashMap<>()),
            modifiers)
        .visit(resource, null, context.getResourceDefinition(resource));
    return new Two<>(first, second, modifiers[0]);
  }

  /**
   * Each non-empty element of {@code type}, in document order, with the child definition that holds
   * it in its parent (null for the resource itself and for contained or referenced resources). The
   * consumer may change the element it is given before the walk goes below it; it must not change
   * the element's parents.
   *
   * @param followTargets whether to go into a reference's target resource that has no id or a local
   *     one, as {@link #of} does; {@code FhirTerser.visit(IBase, IModelVisitor2)} does not
   */
  static void walk(
      IBaseResource resource,
      Class<? extends IBase> type,
      boolean followTargets,
      BiConsumer<IBase, BaseRuntimeChildDefinition> found) {
    FhirContext context = Fhir.context();
    Set<Object> path = Collections.newSetFromMap(new IdentityHashMap<>());
    new Walk(context, type::isInstance, followTargets, found, path, new boolean[1])
        .visit(resource, null, context.getResourceDefinition(resource));
  }

  private record Walk(
      FhirContext context,
      Predicate<IBase> type,
      boolean followTargets,
      BiConsumer<IBase, BaseRuntimeChildDefinition> found,
      Set<Object> path,
      boolean[] modifiers) {

    /**
     * One element and what is below it. Only resources are kept on the path: an element belongs to
     * one resource, so a walk can come back to an element only through a reference's target.
     */
    private void visit(
        IBase element,
        BaseRuntimeChildDefinition child,
        BaseRuntimeElementDefinition<?> definition) {
      boolean resource = element instanceof IBaseResource;
      if (resource && !path.add(element)) {
        return; // a loop through a reference's target
      }
      if (type.test(element) && !element.isEmpty()) {
        found.accept(element, child);
      }
      if (followTargets && element instanceof IBaseReference ref && ref.getResource() != null) {
        IBaseResource target = ref.getResource();
        if ((!target.getIdElement().hasIdPart() || target.getIdElement().isLocal())
            && !ref.isEmpty()) {
          visit(target, null, context.getResourceDefinition(target));
        }
      }
      BaseRuntimeElementDefinition<?> def = definition;
      if (def.getChildType()
          == BaseRuntimeElementDefinition.ChildTypeEnum.CONTAINED_RESOURCE_LIST) {
        def = context.getElementDefinition(element.getClass());
      }
      switch (def.getChildType()) {
        case RESOURCE, RESOURCE_BLOCK, COMPOSITE_DATATYPE -> children(element, def);
        default -> {} // primitives: nothing below them
      }
      if (resource) {
        path.remove(element);
      }
    }

    private void children(IBase element, BaseRuntimeElementDefinition<?> def) {
      for (BaseRuntimeChildDefinition next :
          ((BaseRuntimeElementCompositeDefinition<?>) def).getChildrenAndExtension()) {
        List<? extends IBase> values = next.getAccessor().getValues(element);
        if (values == null) {
          continue;
        }
        for (IBase value : values) {
          if (value == null) {
            continue;
          }
          if (value instanceof IPrimitiveType<?>) {
            // Most elements are primitives, and nothing is below them: only they are looked at.
            if (type.test(value) && !value.isEmpty()) {
              found.accept(value, next);
            }
            primitiveExtensions(value);
          } else if (followTargets && next instanceof RuntimeChildDirectResource) {
            // An embedded resource is found, not entered, as the terser's search does.
            if (type.test(value) && !value.isEmpty()) {
              found.accept(value, next);
            }
          } else {
            if (value instanceof IBaseExtension<?, ?>
                && "modifierExtension".equals(next.getElementName())) {
              modifiers[0] = true;
            }
            BaseRuntimeElementDefinition<?> valueDef =
                next.getChildElementDefinitionByDatatype(value.getClass());
            visit(
                value,
                next,
                valueDef != null ? valueDef : context.getElementDefinition(value.getClass()));
          }
        }
      }
    }

    /**
     * A primitive's extensions ({@code "_recordedDate": {"extension": [...]}}), each walked as an
     * element, as an extension on a composite is: a source can put a code, an identifier, a
     * reference or a URI there as well, and every check that reads this walk must see it. HAPI's
     * terser does not go below a primitive, so this is what the walk finds beyond it.
     */
    private void primitiveExtensions(IBase primitive) {
      if (primitive instanceof IBaseHasExtensions withExtensions && withExtensions.hasExtension()) {
        BaseRuntimeElementCompositeDefinition<?> extension =
            (BaseRuntimeElementCompositeDefinition<?>)
                context.getElementDefinition(Extension.class);
        // The child that holds an extension in an extension: optional and repeating, as it is
        // on a primitive.
        BaseRuntimeChildDefinition holder = extension.getChildByName("extension");
        for (IBaseExtension<?, ?> e : withExtensions.getExtension()) {
          if (e != null) {
            visit(e, holder, extension);
          }
        }
      }
    }
  }
}
