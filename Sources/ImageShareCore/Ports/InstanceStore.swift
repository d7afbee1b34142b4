import Foundation

/// The image a launch or a system-disk replacement uses, already resolved by the caller.
public struct LaunchImage: Sendable, Equatable {
    public let id: String
    public let os: OSProfile
    public let sizeGiB: Int
    /// nil for public images; for custom images the store re-checks inside its transaction that the launching
    /// account may still use it (it may have been unshared or deleted a moment ago).
    public let ownerId: String?

    public init(id: String, os: OSProfile, sizeGiB: Int, ownerId: String?) {
        self.id = id
        self.os = os
        self.sizeGiB = sizeGiB
        self.ownerId = ownerId
    }
}

/// One data disk of a launch.
public struct DataDiskRequest: Sendable, Equatable {
    public let sizeGiB: Int
    public let category: String
    public let snapshotId: String?
    public let deleteWithInstance: Bool

    public init(sizeGiB: Int, category: String, snapshotId: String?, deleteWithInstance: Bool) {
        self.sizeGiB = sizeGiB
        self.category = category
        self.snapshotId = snapshotId
        self.deleteWithInstance = deleteWithInstance
    }
}

/// A validated RunInstances / CreateInstance request.
public struct LaunchRequest: Sendable {
    public let regionId: String
    public let zoneId: String
    public let ownerId: String
    public let image: LaunchImage
    public let instanceType: InstanceType
    public let amount: Int
    public let name: String?
    public let hostName: String?
    public let description: String
    public let systemDiskCategory: String
    public let systemDiskSizeGiB: Int
    public let dataDisks: [DataDiskRequest]
    public let securityGroupIds: [String]
    public let vSwitchId: String
    public let chargeType: String
    public let tags: [ResourceTag]
    /// RunInstances starts the instances; CreateInstance leaves them `Stopped`.
    public let startRunning: Bool
    /// Base64 user data (empty for none).
    public var userData = ""
    public var network = InstanceNetwork()

    public init(
        regionId: String, zoneId: String, ownerId: String, image: LaunchImage, instanceType: InstanceType, amount: Int,
        name: String?, hostName: String?, description: String, systemDiskCategory: String, systemDiskSizeGiB: Int,
        dataDisks: [DataDiskRequest], securityGroupIds: [String], vSwitchId: String, chargeType: String,
        tags: [ResourceTag], startRunning: Bool
    ) {
        self.regionId = regionId
        self.zoneId = zoneId
        self.ownerId = ownerId
        self.image = image
        self.instanceType = instanceType
        self.amount = amount
        self.name = name
        self.hostName = hostName
        self.description = description
        self.systemDiskCategory = systemDiskCategory
        self.systemDiskSizeGiB = systemDiskSizeGiB
        self.dataDisks = dataDisks
        self.securityGroupIds = securityGroupIds
        self.vSwitchId = vSwitchId
        self.chargeType = chargeType
        self.tags = tags
        self.startRunning = startRunning
    }
}

/// DescribeInstances criteria; every one set must match.
public struct InstanceFilter: Sendable {
    public var ids: [String]?
    public var imageId: String?
    public var status: InstanceStatus?
    /// `*` matches any run of characters.
    public var namePattern: String?
    public var zoneId: String?
    public var vpcId: String?
    public var vSwitchId: String?
    public var securityGroupId: String?
    public var instanceType: String?
    public var instanceTypeFamily: String?
    public var chargeType: String?
    public var internetChargeType: String?
    /// `vpc` or `classic`.
    public var networkType: String?
    public var privateIps: [String]?
    public var publicIps: [String]?
    public var keyPairName: String?
    /// Every tag must be present; a nil value matches any value of the key.
    public var tags: [(key: String, value: String?)] = []
    /// Set by a criterion no instance here can meet (an EIP, a lock, a resource group): the answer is empty.
    public var matchesNothing = false

    public init(ids: [String]? = nil, imageId: String? = nil, status: InstanceStatus? = nil, namePattern: String? = nil) {
        self.ids = ids
        self.imageId = imageId
        self.status = status
        self.namePattern = namePattern
    }
}

/// DescribeDisks criteria; every one set must match.
public struct DiskFilter: Sendable {
    public var ids: [String]?
    public var instanceId: String?
    /// `system` or `data`; nil for all.
    public var type: String?
    public var status: String?
    public var zoneId: String?
    public var name: String?
    public var category: String?
    public var portable: Bool?
    public var deleteWithInstance: Bool?
    public var sourceSnapshotId: String?
    public var tags: [(key: String, value: String?)] = []
    /// Set by a criterion no disk here can meet (encryption, a lock, a resource group): the answer is empty.
    public var matchesNothing = false

    public init(ids: [String]? = nil, instanceId: String? = nil, type: String? = nil, status: String? = nil) {
        self.ids = ids
        self.instanceId = instanceId
        self.type = type
        self.status = status
    }
}

/// DescribeSnapshots criteria; every one set must match.
public struct SnapshotFilter: Sendable {
    public var ids: [String]?
    public var diskId: String?
    public var instanceId: String?
    public var name: String?
    /// `system` or `data`.
    public var sourceDiskType: String?
    /// `image`, `disk`, `image_disk` or `none`.
    public var usage: String?
    public var tags: [(key: String, value: String?)] = []
    /// Set by a criterion no snapshot here can meet: the answer is empty.
    public var matchesNothing = false

    public init(ids: [String]? = nil, diskId: String? = nil, instanceId: String? = nil) {
        self.ids = ids
        self.diskId = diskId
        self.instanceId = instanceId
    }
}

/// Changes ModifyInstanceAttribute makes; nil fields keep their value.
public struct InstanceAttributeChanges: Sendable {
    public var name: String?
    public var description: String?
    public var hostName: String?
    public var userData: String?
    /// The complete new set of security groups.
    public var securityGroupIds: [String]?

    public init() {}

    public var isEmpty: Bool {
        name == nil && description == nil && hostName == nil && userData == nil && securityGroupIds == nil
    }
}

/// A validated CreateDisk request.
public struct NewDisk: Sendable {
    public let regionId: String
    public let zoneId: String
    public let ownerId: String
    public let name: String
    public let description: String
    public let category: String
    /// nil: the snapshot's size.
    public let sizeGiB: Int?
    public let snapshotId: String?
    public let tags: [ResourceTag]

    public init(
        regionId: String, zoneId: String, ownerId: String, name: String, description: String, category: String, sizeGiB: Int?,
        snapshotId: String?, tags: [ResourceTag]
    ) {
        self.regionId = regionId
        self.zoneId = zoneId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.category = category
        self.sizeGiB = sizeGiB
        self.snapshotId = snapshotId
        self.tags = tags
    }
}

/// Changes ModifyDiskAttribute makes; nil fields keep their value.
public struct DiskAttributeChanges: Sendable {
    public var name: String?
    public var description: String?
    public var deleteWithInstance: Bool?

    public init(name: String? = nil, description: String? = nil, deleteWithInstance: Bool? = nil) {
        self.name = name
        self.description = description
        self.deleteWithInstance = deleteWithInstance
    }
}

/// Instances, their disks and snapshots.
public protocol InstanceStore: Sendable {
    /// Creates `amount` instances with their disks, if the owner stays within `quota` instances in the region;
    /// returns their IDs.
    func launchInstances(_ launch: LaunchRequest, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> [String]

    func instances(in regionId: String, ownerId: String, filter: InstanceFilter, offset: Int, limit: Int) async throws
        -> (instances: [Instance], totalCount: Int)

    func instance(id: String, ownerId: String) async throws -> Instance?

    /// Moves an instance to `status` if it is in one of `allowed` (`IncorrectInstanceStatus` otherwise).
    func transitionInstance(id: String, ownerId: String, from allowed: Set<InstanceStatus>, to status: InstanceStatus, now: Date)
        async throws

    /// Releases a stopped instance (any instance with `force`) and its delete-with-instance disks.
    func deleteInstance(id: String, ownerId: String, force: Bool) async throws

    /// Replaces the system disk of a stopped instance with a new disk from `image`; returns the new disk ID.
    func replaceSystemDisk(instanceId: String, ownerId: String, image: LaunchImage, sizeGiB: Int?, idempotency: IdempotencyKey?, now: Date)
        async throws -> String

    func disk(id: String, ownerId: String) async throws -> Disk?

    func disks(in regionId: String, ownerId: String, filter: DiskFilter, offset: Int, limit: Int) async throws
        -> (disks: [Disk], totalCount: Int)

    /// Takes a snapshot of a disk; returns its ID.
    func createSnapshot(diskId: String, ownerId: String, name: String?, description: String, idempotency: IdempotencyKey?, now: Date)
        async throws -> String

    func snapshots(in regionId: String, ownerId: String, filter: SnapshotFilter, offset: Int, limit: Int) async throws
        -> (snapshots: [Snapshot], totalCount: Int)

    /// Applies ModifyInstanceAttribute's changes (security groups must be the caller's, in the region).
    func modifyInstance(id: String, ownerId: String, changes: InstanceAttributeChanges) async throws

    /// Gives a Running or Stopped instance a public IP, or returns the one it has.
    func allocatePublicIp(instanceId: String, ownerId: String) async throws -> String

    /// Creates an `Available` data disk, empty or from a snapshot of the caller's; returns its ID.
    func createDisk(_ disk: NewDisk, idempotency: IdempotencyKey?, now: Date) async throws -> String

    /// Attaches an `Available` disk to a Running or Stopped instance of the same zone.
    func attachDisk(diskId: String, instanceId: String, ownerId: String, deleteWithInstance: Bool?, now: Date) async throws

    /// Detaches a data disk from its instance.
    func detachDisk(diskId: String, instanceId: String, ownerId: String, now: Date) async throws

    /// Releases an `Available` disk.
    func deleteDisk(id: String, ownerId: String) async throws

    func modifyDisk(id: String, ownerId: String, changes: DiskAttributeChanges) async throws

    /// Deletes a snapshot no image was made from; one a disk was made from only with `force`.
    func deleteSnapshot(id: String, ownerId: String, force: Bool) async throws
}
