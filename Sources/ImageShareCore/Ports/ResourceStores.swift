import Foundation

/// A `ClientToken` scope: a repeat with the same fingerprint returns the first result, a different one fails.
public struct IdempotencyKey: Sendable, Equatable {
    public let accountId: String
    public let action: String
    public let token: String
    /// A digest of the request's business parameters.
    public let fingerprint: String

    public init(accountId: String, action: String, token: String, fingerprint: String) {
        self.accountId = accountId
        self.action = action
        self.token = token
        self.fingerprint = fingerprint
    }
}

/// Which custom images a DescribeImages call asks for (public images come from the catalogue).
public enum CustomImageScope: Sendable {
    /// The caller's own images.
    case own
    /// Images other accounts share with the caller.
    case sharedWithViewer
    /// Community images of other accounts.
    case community
    /// Own and shared-with-caller images (no `ImageOwnerAlias`).
    case ownAndShared
}

/// One disk of a new image: from a snapshot, or an empty data disk.
public struct ImageDiskRequest: Sendable, Equatable {
    public let device: String?
    public let type: String
    public let snapshotId: String?
    public let sizeGiB: Int?

    public init(device: String?, type: String, snapshotId: String?, sizeGiB: Int?) {
        self.device = device
        self.type = type
        self.snapshotId = snapshotId
        self.sizeGiB = sizeGiB
    }
}

/// Where CreateImage takes the disks from (precedence InstanceId > DiskDeviceMapping > SnapshotId).
public enum ImageSource: Sendable, Equatable {
    case instance(String)
    case mappings([ImageDiskRequest])
    case snapshot(String)
}

/// A validated CreateImage request.
public struct NewImage: Sendable {
    public let regionId: String
    public let ownerId: String
    public let name: String?
    public let description: String
    public let family: String
    public let version: String
    public let bootMode: String
    public let architecture: Architecture?
    public let platform: String?
    public let tags: [ResourceTag]
    public let source: ImageSource
    /// When the image becomes `Available`.
    public let readyAt: Date
    /// Whether the build ends in `CreateFailed` at `readyAt` instead (a fault a test asked for).
    public var buildFails = false

    public init(
        regionId: String, ownerId: String, name: String?, description: String, family: String, version: String,
        bootMode: String, architecture: Architecture?, platform: String?, tags: [ResourceTag], source: ImageSource,
        readyAt: Date
    ) {
        self.regionId = regionId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.family = family
        self.version = version
        self.bootMode = bootMode
        self.architecture = architecture
        self.platform = platform
        self.tags = tags
        self.source = source
        self.readyAt = readyAt
    }
}

/// A validated CopyImage request.
public struct ImageCopyRequest: Sendable {
    public let sourceImageId: String
    public let sourceRegionId: String
    public let callerId: String
    public let destinationRegionId: String
    public let name: String?
    public let description: String?
    public let tags: [ResourceTag]
    public let readyAt: Date
    /// Whether the copy ends in `CreateFailed` at `readyAt` instead (a fault a test asked for).
    public var buildFails = false

    public init(
        sourceImageId: String, sourceRegionId: String, callerId: String, destinationRegionId: String, name: String?,
        description: String?, tags: [ResourceTag], readyAt: Date
    ) {
        self.sourceImageId = sourceImageId
        self.sourceRegionId = sourceRegionId
        self.callerId = callerId
        self.destinationRegionId = destinationRegionId
        self.name = name
        self.description = description
        self.tags = tags
        self.readyAt = readyAt
    }
}

/// Changes ModifyImageAttribute makes; nil fields keep their value.
public struct ImageAttributeChanges: Sendable {
    public var name: String?
    public var description: String?
    public var family: String?
    public var bootMode: String?
    public var status: ImageStatus?

    public init(name: String? = nil, description: String? = nil, family: String? = nil, bootMode: String? = nil, status: ImageStatus? = nil) {
        self.name = name
        self.description = description
        self.family = family
        self.bootMode = bootMode
        self.status = status
    }
}

/// One page of an image's share list.
public struct SharePermissionPage: Sendable, Equatable {
    public let accounts: [(accountId: String, sharedAt: Date)]
    public let totalCount: Int
    public let isPublic: Bool

    public init(accounts: [(accountId: String, sharedAt: Date)], totalCount: Int, isPublic: Bool) {
        self.accounts = accounts
        self.totalCount = totalCount
        self.isPublic = isPublic
    }

    public static func == (lhs: SharePermissionPage, rhs: SharePermissionPage) -> Bool {
        lhs.totalCount == rhs.totalCount && lhs.isPublic == rhs.isPublic
            && lhs.accounts.map(\.accountId) == rhs.accounts.map(\.accountId)
            && lhs.accounts.map(\.sharedAt) == rhs.accounts.map(\.sharedAt)
    }
}

/// Custom images, their sharing, copies and deletion. Every write is one atomic transaction that re-checks
/// the rules of `ImageRules` against the state it reads.
public protocol ImageStore: Sendable {
    /// Custom images of `regionId` in `scope` for `viewer` that match `filter`, newest first, and the total.
    func customImages(
        in regionId: String, scope: CustomImageScope, viewer: String, filter: ImageFilter, offset: Int, limit: Int,
        now: Date
    ) async throws -> (images: [Image], totalCount: Int)

    /// The custom image with this ID in this region regardless of who asks, and whether its owner currently
    /// shares it with `viewer`, both read at one moment; nil when there is no such image.
    func customImage(id: String, in regionId: String, viewer: String, now: Date) async throws
        -> (image: Image, isSharedWithViewer: Bool)?

    /// Creates an image (counts against the owner's quota in the region); returns its ID.
    func createImage(_ image: NewImage, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> String

    /// Copies an image the caller may copy; returns the new image's ID in the destination region.
    func copyImage(_ copy: ImageCopyRequest, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> String

    /// Removes a copy that is still being produced.
    func cancelCopy(imageId: String, regionId: String, callerId: String, now: Date) async throws

    func modifyImageAttributes(imageId: String, regionId: String, ownerId: String, changes: ImageAttributeChanges, now: Date)
        async throws

    /// Deletes an owned image if `ImageRules.checkDeletable` allows it.
    func deleteImage(imageId: String, regionId: String, ownerId: String, force: Bool, now: Date) async throws

    /// Applies a ModifyImageSharePermission call, all or nothing.
    func modifySharePermission(
        imageId: String, regionId: String, ownerId: String, add: [String], remove: [String], isPublic: Bool?,
        now: Date
    ) async throws

    /// The accounts an owned image is shared with, oldest share first.
    func sharePermissions(imageId: String, regionId: String, ownerId: String, offset: Int, limit: Int)
        async throws -> SharePermissionPage
}
