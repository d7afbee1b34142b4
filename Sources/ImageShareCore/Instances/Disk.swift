import Foundation

/// A cloud disk: an instance's system disk or a data disk.
public struct Disk: Sendable, Equatable {
    public let id: String
    public let regionId: String
    public let zoneId: String
    public let ownerId: String
    public var instanceId: String?
    public var name: String
    /// `system` or `data`.
    public let type: String
    public let category: String
    public var sizeGiB: Int
    public var device: String
    /// `In_use` when attached, `Available` when not.
    public var status: String
    /// The image the disk was made from (system disks), which ReInitDisk restores; empty otherwise.
    public var imageId: String
    /// The account that owned that image when the disk was made ("" for public images).
    public var imageOwnerId: String
    public var sourceSnapshotId: String
    public var deleteWithInstance: Bool
    public let creationTime: Date
    public var attachedTime: Date?
    public var description: String
    public var detachedTime: Date?
    public var tags: [ResourceTag] = []

    public init(
        id: String, regionId: String, zoneId: String, ownerId: String, instanceId: String?, name: String,
        type: String, category: String, sizeGiB: Int, device: String, status: String, imageId: String,
        imageOwnerId: String, sourceSnapshotId: String, deleteWithInstance: Bool, creationTime: Date, attachedTime: Date?,
        description: String = "", detachedTime: Date? = nil
    ) {
        self.id = id
        self.regionId = regionId
        self.zoneId = zoneId
        self.ownerId = ownerId
        self.instanceId = instanceId
        self.name = name
        self.type = type
        self.category = category
        self.sizeGiB = sizeGiB
        self.device = device
        self.status = status
        self.imageId = imageId
        self.imageOwnerId = imageOwnerId
        self.sourceSnapshotId = sourceSnapshotId
        self.deleteWithInstance = deleteWithInstance
        self.creationTime = creationTime
        self.attachedTime = attachedTime
        self.description = description
        self.detachedTime = detachedTime
    }

    /// Data disks can be detached and attached elsewhere; system disks cannot.
    public var isPortable: Bool { type == "data" }
}

/// A point-in-time copy of a disk.
public struct Snapshot: Sendable, Equatable {
    public let id: String
    public let regionId: String
    public let ownerId: String
    public let name: String
    public let description: String
    public let sourceDiskId: String
    /// `system` or `data`.
    public let sourceDiskType: String
    public let sourceDiskSizeGiB: Int
    /// The image the source disk was made from; an image built from this snapshot inherits its OS.
    public let sourceImageId: String
    public let creationTime: Date
    /// What it has been used to create: `image`, `disk`, `image_disk` or `none`.
    public var usage: String
    public var tags: [ResourceTag] = []

    public init(
        id: String, regionId: String, ownerId: String, name: String, description: String, sourceDiskId: String,
        sourceDiskType: String, sourceDiskSizeGiB: Int, sourceImageId: String, creationTime: Date, usage: String
    ) {
        self.id = id
        self.regionId = regionId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.sourceDiskId = sourceDiskId
        self.sourceDiskType = sourceDiskType
        self.sourceDiskSizeGiB = sourceDiskSizeGiB
        self.sourceImageId = sourceImageId
        self.creationTime = creationTime
        self.usage = usage
    }
}
