package org.placeshare.policy;

/** One entry of the relationship register: this organisation cares for the person, this way. */
public record CareRelationship(OdsCode organisation, RelationshipKind kind) {}
