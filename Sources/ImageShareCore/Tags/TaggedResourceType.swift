/// The kinds of resource TagResources, UntagResources and ListTagResources work on, by their wire name.
public enum TaggedResourceType: String, Sendable, CaseIterable {
    case instance
    case disk
    case snapshot
    case image
    case securityGroup = "securitygroup"

    /// The type named by a `ResourceType` parameter (ECS accepts any letter case).
    public init?(wireName: String) {
        guard let type = Self.allCases.first(where: { $0.rawValue == wireName.lowercased() }) else { return nil }
        self = type
    }
}

/// The tag rules every front door shares: how many tags a resource holds and a call carries.
public enum TagRules {
    /// Tags one resource may hold.
    public static let maxTagsPerResource = 20
    /// Resources one TagResources, UntagResources or ListTagResources call may name.
    public static let maxResourcesPerCall = 50

    /// Whether a resource that has `existing` tags may take `added` (a key already present is replaced).
    public static func checkCapacity(existing: [ResourceTag], adding added: [ResourceTag]) throws(ECSError) {
        let keys = Set(existing.map(\.key)).union(added.map(\.key))
        guard keys.count <= maxTagsPerResource else { throw .tagQuotaExceeded }
    }
}

/// One tag of one resource, as ListTagResources reports it.
public struct TagAssignment: Sendable, Equatable {
    public let resourceType: TaggedResourceType
    public let resourceId: String
    public let tag: ResourceTag

    public init(resourceType: TaggedResourceType, resourceId: String, tag: ResourceTag) {
        self.resourceType = resourceType
        self.resourceId = resourceId
        self.tag = tag
    }
}
