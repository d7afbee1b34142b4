import Foundation

/// The `ImageOwnerAlias` of DescribeImages: which population of images a caller asks for.
public enum ImageOwnerAlias: String, Sendable, CaseIterable {
    case system
    case own = "self"
    case others
    case marketplace
}

/// The result-affecting criteria of DescribeImages, already validated.
public struct ImageFilter: Sendable {
    public var imageIds: Set<String>?
    /// Case-insensitive substring of the image name.
    public var nameContains: String?
    /// nil means `system` + `self` + `others`, as on ECS.
    public var ownerAlias: ImageOwnerAlias?
    public var ownerId: String?
    public var statuses: Set<ImageStatus>
    public var osType: OSType?
    public var architecture: Architecture?
    /// `InstanceType`: only images that type can run.
    public var runnableArchitectures: Set<Architecture>?
    /// Images with a disk made from this snapshot.
    public var snapshotId: String?
    public var imageFamily: String?
    /// Every tag must be present; a nil value matches any value of the key.
    public var tags: [(key: String, value: String?)] = []
    /// `Filter.N` CreationStartTime / CreationEndTime.
    public var createdFrom: Date?
    public var createdUntil: Date?
    /// `Usage`: true = used by an instance, false = unused.
    public var inUse: Bool?
    /// `IsPublic=true` asks for community images only.
    public var communityOnly: Bool = false

    public init(
        imageIds: Set<String>? = nil, nameContains: String? = nil, ownerAlias: ImageOwnerAlias? = nil,
        ownerId: String? = nil, statuses: Set<ImageStatus> = [.available], osType: OSType? = nil,
        architecture: Architecture? = nil, imageFamily: String? = nil
    ) {
        self.imageIds = imageIds
        self.nameContains = nameContains
        self.ownerAlias = ownerAlias
        self.ownerId = ownerId
        self.statuses = statuses
        self.osType = osType
        self.architecture = architecture
        self.imageFamily = imageFamily
    }

    /// Whether nothing but the status narrows the images (the recipient's plain listing, which the stores
    /// answer from their share index). Every criterion above must be named here.
    public var constrainsOnlyStatus: Bool {
        imageIds == nil && nameContains == nil && ownerId == nil && osType == nil && architecture == nil
            && runnableArchitectures == nil && snapshotId == nil && imageFamily == nil && tags.isEmpty && createdFrom == nil
            && createdUntil == nil && inUse == nil && !communityOnly
    }

    /// Makes the query match nothing (a criterion no image here can meet, such as a resource group).
    public mutating func matchNothing() { imageIds = [] }

    /// Whether the public catalogue takes part in this query at all.
    public var includesSystemImages: Bool {
        (ownerAlias == nil || ownerAlias == .system) && ownerId == nil && !communityOnly
    }

    /// Which custom images take part, or nil for none (`system` and `marketplace`).
    public var customScope: CustomImageScope? {
        if communityOnly { return ownerAlias == nil || ownerAlias == .others ? .community : nil }
        switch ownerAlias {
        case nil: return .ownAndShared
        case .own: return .own
        case .others: return .sharedWithViewer
        case .system, .marketplace: return nil
        }
    }

    /// Whether `image` meets the attribute criteria (everything except ownership, which the caller decides).
    public func matchesAttributes(of image: Image) -> Bool {
        if let imageIds, !imageIds.contains(image.id) { return false }
        if !statuses.contains(image.status) { return false }
        if let osType, image.osType != osType { return false }
        if let architecture, image.architecture != architecture { return false }
        if let runnableArchitectures, !runnableArchitectures.contains(image.architecture) { return false }
        if let snapshotId, !image.diskDeviceMappings.contains(where: { $0.snapshotId == snapshotId }) { return false }
        if let imageFamily, image.imageFamily != imageFamily { return false }
        if let createdFrom, image.creationTime < createdFrom { return false }
        if let createdUntil, image.creationTime > createdUntil { return false }
        if let inUse, image.inUse != inUse { return false }
        for tag in tags where !image.tags.contains(where: { $0.key == tag.key && (tag.value == nil || $0.value == tag.value) }) {
            return false
        }
        if let nameContains, !nameContains.isEmpty,
            image.name.range(of: nameContains, options: .caseInsensitive) == nil
        {
            return false
        }
        return true
    }
}

/// One page of a Describe call: `PageNumber` / `PageSize`, or `NextToken` / `MaxResults`.
public struct PageRequest: Sendable, Equatable {
    /// The position of this page's first item.
    public let offset: Int
    public let size: Int

    public init(number: Int, size: Int) {
        self.offset = (number - 1) * size
        self.size = size
    }

    /// A page that starts where a `NextToken` points.
    public init(offset: Int, size: Int) {
        self.offset = offset
        self.size = size
    }

    /// The page number a client reads back (1 for a token page that starts mid-page).
    public var number: Int { offset / size + 1 }

    /// The `NextToken` of the answer: where the next page starts, or empty after the last.
    public func nextToken(totalCount: Int) -> String {
        offset + size < totalCount ? String(offset + size) : ""
    }
}
