import ECSWire
import Foundation
import ImageShareCore

/// Disks and snapshots on their own: CreateDisk, AttachDisk, DetachDisk, DeleteDisk, ModifyDiskAttribute and
/// DeleteSnapshot. Only CreateDisk needs `RegionId`; the others find the disk or snapshot by its ID.
struct DiskLifecycleActions: Sendable {
    let regions: RegionCatalogue
    let store: any InstanceStore

    func register(in registry: inout ActionRegistry) {
        registry.register("CreateDisk", createDisk)
        registry.register("AttachDisk", attachDisk)
        registry.register("DetachDisk", detachDisk)
        registry.register("DeleteDisk", deleteDisk)
        registry.register("ModifyDiskAttribute", modifyDiskAttribute)
        registry.register("DeleteSnapshot", deleteSnapshot)
    }

    /// An empty data disk of `Size` GiB, or one made from a snapshot (at least the snapshot's size).
    @Sendable func createDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let zoneId = try parameters.required("ZoneId")
        guard region.hasZone(zoneId) else { throw ECSError.invalidZone }
        let snapshotId = try parameters.foreignId("SnapshotId")
        let size = try parameters.int("Size", in: 20...32_768, orThrow: .invalidDiskSize)
        if size == nil, snapshotId == nil { throw ECSError.missingParameter("Size") }
        try parameters.refuseUnsupported([
            "InstanceId", "KMSKeyId", "ResourceGroupId", "StorageSetId", "StorageSetPartitionNumber", "MultiAttach",
            "BurstingEnabled", "ProvisionedIops", "StorageClusterId", "DedicatedBlockStorageClusterId",
        ])
        if try parameters.bool("Encrypted") == true { throw ECSError.unsupportedParameter("Encrypted") }
        _ = try parameters.oneOf("PerformanceLevel", ["PL0", "PL1", "PL2", "PL3"])
        let disk = NewDisk(
            regionId: region.id, zoneId: zoneId, ownerId: request.caller.accountId,
            name: try parameters.text("DiskName", TextRules.isValidResourceName, orThrow: .diskNameMalformed) ?? "",
            description: try parameters.description("Description") ?? "",
            category: try parameters.diskCategory("DiskCategory", orThrow: .invalidDiskCategory) ?? "cloud",
            sizeGiB: size, snapshotId: snapshotId, tags: try parameters.resourceTags())
        let key = try parameters.idempotencyKey(for: request)
        let id = try await parameters.writing { try await store.createDisk(disk, idempotency: key, now: request.now) }
        return [("DiskId", .string(id))]
    }

    @Sendable func attachDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let diskId = try parameters.required("DiskId")
        let instanceId = try parameters.required("InstanceId")
        let deleteWithInstance = try parameters.bool("DeleteWithInstance")
        try parameters.refuseUnsupported(["Device", "KeyPairName", "Password"])
        if try parameters.bool("Bootable") == true { throw ECSError.unsupportedParameter("Bootable") }
        try await parameters.writing {
            try await store.attachDisk(
                diskId: diskId, instanceId: instanceId, ownerId: request.caller.accountId, deleteWithInstance: deleteWithInstance,
                now: request.now)
        }
        return []
    }

    @Sendable func detachDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let diskId = try parameters.required("DiskId")
        let instanceId = try parameters.required("InstanceId")
        _ = try parameters.bool("DeleteWithInstance")
        try await parameters.writing {
            try await store.detachDisk(diskId: diskId, instanceId: instanceId, ownerId: request.caller.accountId, now: request.now)
        }
        return []
    }

    @Sendable func deleteDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let diskId = try parameters.required("DiskId")
        try await parameters.writing { try await store.deleteDisk(id: diskId, ownerId: request.caller.accountId) }
        return []
    }

    @Sendable func modifyDiskAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let diskId = try parameters.required("DiskId")
        try parameters.refuseUnsupported(["DiskIds", "BurstingEnabled"])
        let changes = DiskAttributeChanges(
            name: try parameters.text("DiskName", TextRules.isValidResourceName, orThrow: .diskNameMalformed),
            description: try parameters.description("Description"), deleteWithInstance: try parameters.bool("DeleteWithInstance"))
        // Automatic snapshots are not modelled; turning them on would be a promise this server cannot keep.
        if try parameters.bool("EnableAutoSnapshot") == true { throw ECSError.unsupportedParameter("EnableAutoSnapshot") }
        if try parameters.bool("DeleteAutoSnapshot") == false { throw ECSError.unsupportedParameter("DeleteAutoSnapshot") }
        try await parameters.writing { try await store.modifyDisk(id: diskId, ownerId: request.caller.accountId, changes: changes) }
        return []
    }

    @Sendable func deleteSnapshot(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let snapshotId = try parameters.required("SnapshotId")
        let force = try parameters.bool("Force") ?? false
        try await parameters.writing { try await store.deleteSnapshot(id: snapshotId, ownerId: request.caller.accountId, force: force) }
        return []
    }
}
