import ECSWire
import Foundation
import ImageShareCore

/// TagResources, UntagResources and ListTagResources on the caller's own instances, disks, snapshots,
/// images and security groups. An image shared with the caller is the owner's: the recipient can neither
/// tag it nor see its tags here.
struct TagActions: Sendable {
    let regions: RegionCatalogue
    let store: any TagStore

    func register(in registry: inout ActionRegistry) {
        registry.register("TagResources", tagResources)
        registry.register("UntagResources", untagResources)
        registry.register("ListTagResources", listTagResources)
    }

    @Sendable func tagResources(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let type = try parameters.taggedResourceType()
        let ids = try parameters.resourceIds(required: true)
        let tags = try parameters.resourceTags()
        guard !tags.isEmpty else { throw ECSError.missingParameter("Tag.1.Key") }
        try await parameters.writing {
            try await store.tagResources(type, ids: ids, regionId: region.id, ownerId: request.caller.accountId, tags: tags)
        }
        return []
    }

    /// `TagKey.N` names the tags to remove; `All=true` removes every tag.
    @Sendable func untagResources(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let type = try parameters.taggedResourceType()
        let ids = try parameters.resourceIds(required: true)
        let keys = parameters.indexedList("TagKey")
        guard keys.count <= TagRules.maxTagsPerResource else { throw ECSError.invalidTagCount }
        for key in keys where !TextRules.isValidTagKey(key) { throw ECSError.invalidTagKey }
        let all = try parameters.bool("All") ?? false
        guard all || !keys.isEmpty else { throw ECSError.missingParameter("TagKey.1") }
        try await parameters.writing {
            try await store.untagResources(
                type, ids: ids, regionId: region.id, ownerId: request.caller.accountId, keys: all ? nil : keys)
        }
        return []
    }

    /// One page of (resource, tag) pairs; `NextToken` continues after it.
    @Sendable func listTagResources(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let type = try parameters.taggedResourceType()
        let ids = try parameters.resourceIds(required: false)
        let having = try parameters.tags(valuesOptional: true)
        try parameters.refuseUnsupported(["TagFilter."])
        let page = try parameters.page(defaultSize: 50, maxSize: 50, tokens: true)
        // One more than a page tells whether another page follows.
        let found = try await store.tagAssignments(
            type, ids: ids.isEmpty ? nil : ids, having: having, regionId: region.id, ownerId: request.caller.accountId,
            offset: page.offset, limit: page.size + 1)
        let items: [WireValue] = found.prefix(page.size).map { assignment in
            .object([
                ("ResourceType", .string(assignment.resourceType.rawValue)),
                ("ResourceId", .string(assignment.resourceId)),
                ("TagKey", .string(assignment.tag.key)),
                ("TagValue", .string(assignment.tag.value)),
            ])
        }
        return [
            ("NextToken", .string(found.count > page.size ? String(page.offset + page.size) : "")),
            ("TagResources", .collection("TagResource", items)),
        ]
    }
}

extension ParameterBag {
    func taggedResourceType() throws(ECSError) -> TaggedResourceType {
        let name = try required("ResourceType")
        guard let type = TaggedResourceType(wireName: name) else { throw .invalidResourceType }
        return type
    }

    /// `ResourceId.N`, N 1…50.
    func resourceIds(required: Bool) throws(ECSError) -> [String] {
        let ids = indexedList("ResourceId")
        if required, ids.isEmpty { throw .missingParameter("ResourceId.1") }
        guard ids.count <= TagRules.maxResourcesPerCall, string("ResourceId.\(TagRules.maxResourcesPerCall + 1)") == nil else {
            throw .invalidParameter("ResourceId", "at most \(TagRules.maxResourcesPerCall) resources in one call")
        }
        for (index, id) in ids.enumerated() where id.isEmpty || id.count > TextRules.maxForeignIdLength {
            throw .invalidParameter("ResourceId.\(index + 1)", "1 to \(TextRules.maxForeignIdLength) characters")
        }
        return ids
    }
}
