package org.placeshare.fhir;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeChildContainedResources;
import ca.uhn.fhir.context.RuntimeChildPrimitiveDatatypeDefinition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;

/**
 * Whether HAPI's search for resources to contain would change anything in a resource about to be
 * encoded ({@code FhirTerser.containResources}, run by HAPI's encoder on the resource and on each
 * resource embedded in it, such as a Bundle's entries). That search moves a reference's target
 * resource into the referring resource's {@code contained} when the target has no id or a local one
 * ({@code #x}) and is not contained there already, or when the target is contained in a resource
 * encoded before; everything else it leaves as it is.
 *
 * <p>This check is {@link #nothingToContain conservative}: it answers true only when every
 * reference that carries a target resource (HAPI links them when it parses a reply, see {@code
 * BundleReferences}) names either a resource contained in the same resource, or one with an id that
 * is neither empty nor local and is contained nowhere in what is encoded. References inside
 * primitive extensions are not looked at, as HAPI's search does not look there either.
 *
 * <p>The tests' oracle for {@link ReleasedJson}, which skips the search: where this answers true,
 * the two encoders write the same bytes. (It guarded ReleasedJson in the gateway until every
 * released reference's link was cleared, issue 22.)
 */
final class LinkedTargets {

  /** Per element definition, its children that can hold something other than a primitive. */
  private static final Map<BaseRuntimeElementDefinition<?>, List<BaseRuntimeChildDefinition>>
      NOT_PRIMITIVE = new ConcurrentHashMap<>();

  private final FhirContext context = Fhir.context();

  /** Every contained resource met, in any resource: a target among them is contained again. */
  private final Set<IBaseResource> contained = Collections.newSetFromMap(new IdentityHashMap<>());

  /** Targets that named a resource outside the referring resource's own contained ones. */
  private final List<IBaseResource> outside = new ArrayList<>();

  private boolean wouldContain;

  private LinkedTargets() {}

  /** True when HAPI's search for resources to contain would change nothing in the resource. */
  static boolean nothingToContain(IBaseResource resource) {
    LinkedTargets check = new LinkedTargets();
    check.encoded(resource);
    if (check.wouldContain) {
      return false;
    }
    for (IBaseResource target : check.outside) {
      if (check.contained.contains(target)) {
        return false;
      }
    }
    return true;
  }

  /** A resource HAPI encodes as itself (not contained): its own contained ones are its own. */
  private void encoded(IBaseResource resource) {
    Set<IBaseResource> own = Set.of(); // most records contain nothing: no set made for them
    if (resource instanceof DomainResource domain && domain.hasContained()) {
      own = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Resource c : domain.getContained()) {
        own.add(c);
      }
      contained.addAll(own);
    }
    composite(resource, context.getResourceDefinition(resource), own);
  }

  private void composite(
      IBase element, BaseRuntimeElementDefinition<?> def, Set<IBaseResource> own) {
    for (BaseRuntimeChildDefinition child : notPrimitive(def)) {
      List<? extends IBase> values = child.getAccessor().getValues(element);
      if (values == null) {
        continue;
      }
      for (IBase value : values) {
        if (value == null || value instanceof IPrimitiveType<?>) {
          continue;
        }
        if (value instanceof IBaseResource r && child instanceof RuntimeChildContainedResources) {
          // Contained in a contained resource: not the encoded resource's own, so not in `own`.
          if (r instanceof DomainResource domain) {
            contained.addAll(domain.getContained());
          }
          composite(r, context.getResourceDefinition(r), own);
        } else if (value instanceof IBaseResource r) {
          encoded(r); // a Bundle's entry: HAPI searches it as a resource of its own
        } else {
          if (value instanceof IBaseReference ref && ref.getResource() != null) {
            target(ref.getResource(), own);
          }
          BaseRuntimeElementDefinition<?> valueDef =
              child.getChildElementDefinitionByDatatype(value.getClass());
          composite(
              value,
              valueDef != null ? valueDef : context.getElementDefinition(value.getClass()),
              own);
        }
      }
    }
  }

  private void target(IBaseResource target, Set<IBaseResource> own) {
    if (own.contains(target)) {
      return; // HAPI registers the resource's contained ones first: already contained
    }
    IIdType id = target.getIdElement();
    // HAPI's search contains a target whose id is empty or local, and walks into one whose id has
    // no id part ("x/", "http://h/Observation/"): either way, leave the encode to HAPI.
    if (id == null || !id.hasIdPart() || id.isLocal() || id.getValue().startsWith("#")) {
      wouldContain = true;
    } else {
      outside.add(target);
    }
  }

  private static List<BaseRuntimeChildDefinition> notPrimitive(
      BaseRuntimeElementDefinition<?> def) {
    if (!(def instanceof BaseRuntimeElementCompositeDefinition<?> composite)) {
      return List.of();
    }
    return NOT_PRIMITIVE.computeIfAbsent(
        def,
        d -> {
          List<BaseRuntimeChildDefinition> kept = new ArrayList<>();
          for (BaseRuntimeChildDefinition child : composite.getChildrenAndExtension()) {
            if (!onlyPrimitives(child)) {
              kept.add(child);
            }
          }
          return List.copyOf(kept);
        });
  }

  /**
   * A child declared as a primitive (a string, a code, a date...): nothing below it but its own
   * extensions, which HAPI's search does not read. Choices ({@code value[x]}) and extensions are
   * not: they may hold a Reference.
   */
  private static boolean onlyPrimitives(BaseRuntimeChildDefinition child) {
    return child instanceof RuntimeChildPrimitiveDatatypeDefinition;
  }
}
