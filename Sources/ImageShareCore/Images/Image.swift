import Foundation

/// Who an image belongs to, from the catalogue's point of view (the caller's view is `ImageOwnerAlias`).
public enum ImageOwnership: Sendable, Equatable {
    /// A public image published by Alibaba Cloud (`system`).
    case system
    /// A custom image owned by the account with this ID.
    case account(String)
}

/// An image's lifecycle state, with ECS's wire spelling.
public enum ImageStatus: String, Sendable, CaseIterable {
    case creating = "Creating"
    case waiting = "Waiting"
    case available = "Available"
    case unavailable = "UnAvailable"
    case createFailed = "CreateFailed"
    case deprecated = "Deprecated"
}

/// Operating-system family of an image (`OSType`).
public enum OSType: String, Sendable, CaseIterable {
    case linux, windows
}

/// CPU architecture of an image.
public enum Architecture: String, Sendable, CaseIterable {
    case i386, x86_64, arm64
}

/// One disk an image restores (`DiskDeviceMappings.DiskDeviceMapping`).
public struct DiskDeviceMapping: Sendable, Equatable {
    public let device: String
    /// `system` or `data`.
    public let type: String
    public let snapshotId: String
    public let sizeGiB: Int

    public init(device: String, type: String, snapshotId: String, sizeGiB: Int) {
        self.device = device
        self.type = type
        self.snapshotId = snapshotId
        self.sizeGiB = sizeGiB
    }
}

/// A resource tag (`Tag.N.Key` / `Tag.N.Value`).
public struct ResourceTag: Sendable, Equatable, Hashable {
    public let key: String
    public let value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// An ECS image in one region: a public catalogue entry or an account's custom image.
public struct Image: Sendable, Equatable {
    public let id: String
    public let regionId: String
    public let ownership: ImageOwnership
    public var name: String
    public var description: String
    /// The status as of the moment the image was read (a `Creating` image becomes `Available` by time alone).
    public var status: ImageStatus
    /// Creation or copy progress, 0…100.
    public var progress: Int = 100
    /// Published to every account of the region as a community image.
    public var isPublic: Bool = false
    /// How many accounts the owner shares it with.
    public var shareCount: Int = 0
    /// Whether a system disk made from it still exists (`Usage` = `instance`).
    public var inUse: Bool = false
    /// For a copy: the image it was copied from.
    public var copiedFrom: String? = nil
    public var bootMode: String = "BIOS"
    public var tags: [ResourceTag] = []
    public let osType: OSType
    public let osName: String
    public let osNameEn: String
    public let platform: String
    public let architecture: Architecture
    public let sizeGiB: Int
    public let creationTime: Date
    public var imageFamily: String
    public let imageVersion: String
    public let isSupportCloudinit: Bool
    public let isSupportIoOptimized: Bool
    public let isCopied: Bool
    public let diskDeviceMappings: [DiskDeviceMapping]

    public init(
        id: String, regionId: String, ownership: ImageOwnership, name: String, description: String,
        status: ImageStatus, osType: OSType, osName: String, osNameEn: String, platform: String,
        architecture: Architecture, sizeGiB: Int, creationTime: Date, imageFamily: String = "",
        imageVersion: String = "", isSupportCloudinit: Bool = true, isSupportIoOptimized: Bool = true,
        isCopied: Bool = false, diskDeviceMappings: [DiskDeviceMapping]
    ) {
        self.id = id
        self.regionId = regionId
        self.ownership = ownership
        self.name = name
        self.description = description
        self.status = status
        self.osType = osType
        self.osName = osName
        self.osNameEn = osNameEn
        self.platform = platform
        self.architecture = architecture
        self.sizeGiB = sizeGiB
        self.creationTime = creationTime
        self.imageFamily = imageFamily
        self.imageVersion = imageVersion
        self.isSupportCloudinit = isSupportCloudinit
        self.isSupportIoOptimized = isSupportIoOptimized
        self.isCopied = isCopied
        self.diskDeviceMappings = diskDeviceMappings
    }
}
