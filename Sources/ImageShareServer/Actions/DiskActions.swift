import ECSWire
import Foundation
import ImageShareCore

/// DescribeDisks, ReInitDisk, CreateSnapshot and DescribeSnapshots.
struct DiskActions: Sendable {
    let catalogue: ImageCatalogue
    let store: any InstanceStore

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeDisks", describeDisks)
        registry.register("ReInitDisk", reInitDisk)
        registry.register("CreateSnapshot", createSnapshot)
        registry.register("DescribeSnapshots", describeSnapshots)
    }

    @Sendable func describeDisks(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        var filter = DiskFilter()
        filter.ids = try parameters.idList("DiskIds")
        filter.instanceId = parameters.string("InstanceId")
        if let type = parameters.string("DiskType")?.lowercased(), type != "all" {
            guard type == "system" || type == "data" else { throw ECSError.invalidDiskType }
            filter.type = type
        }
        filter.status = parameters.string("Status")
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        try parameters.checkDryRun()
        let (disks, total) = try await store.disks(
            in: region.id, ownerId: request.caller.accountId, filter: filter, offset: page.offset, limit: page.size)
        return page.response(totalCount: total, "Disks", "Disk", disks.map(DiskPresenter.value))
    }

    /// Restores a system disk from its source image; fails once that image is deleted or no longer shared
    /// with the disk's owner (S9, S11). The instance itself keeps working either way.
    @Sendable func reInitDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let diskId = try parameters.required("DiskId")
        let autoStart = try parameters.bool("AutoStartInstance") ?? false
        let caller = request.caller.accountId
        guard let disk = try await store.disk(id: diskId, ownerId: caller) else { throw ECSError.diskNotFound }
        guard disk.status == "In_use", let instanceId = disk.instanceId else { throw ECSError.incorrectDiskStatus }
        guard let instance = try await store.instance(id: instanceId, ownerId: caller) else { throw ECSError.incorrectDiskStatus }
        guard instance.status == .stopped else { throw ECSError.incorrectInstanceStatus }
        if disk.type == "system" {
            let visible = try await catalogue.visibleImage(id: disk.imageId, in: disk.regionId, viewer: caller, now: request.now)
            if let failure = ImageRules.reInitFailure(
                sourceImageId: disk.imageId, sourceOwner: disk.imageOwnerId.isEmpty ? nil : disk.imageOwnerId,
                visibleImage: visible, diskOwner: caller)
            {
                throw failure
            }
        }
        if autoStart {
            try await store.transitionInstance(id: instanceId, ownerId: caller, from: [.stopped], to: .running, now: request.now)
        }
        return []
    }

    @Sendable func createSnapshot(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let diskId = try parameters.required("DiskId")
        let name = try parameters.text("SnapshotName", TextRules.isValidSnapshotName, orThrow: .snapshotNameMalformed)
        let description = try parameters.description("Description") ?? ""
        let key = try parameters.idempotencyKey(for: request)
        let id = try await store.createSnapshot(
            diskId: diskId, ownerId: request.caller.accountId, name: name, description: description, idempotency: key,
            now: request.now)
        return [("SnapshotId", .string(id))]
    }

    @Sendable func describeSnapshots(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        var filter = SnapshotFilter()
        filter.ids = try parameters.idList("SnapshotIds")
        filter.diskId = parameters.string("DiskId")
        filter.instanceId = parameters.string("InstanceId")
        if let status = parameters.string("Status")?.lowercased() {
            guard ["all", "accomplished", "progressing", "failed"].contains(status) else {
                throw ECSError.invalidParameter("Status", "must be progressing, accomplished, failed or all")
            }
            // Snapshots complete at once here, so the other statuses match nothing.
            if status == "progressing" || status == "failed" { filter.ids = [] }
        }
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        try parameters.checkDryRun()
        let (snapshots, total) = try await store.snapshots(
            in: region.id, ownerId: request.caller.accountId, filter: filter, offset: page.offset, limit: page.size)
        return page.response(totalCount: total, "Snapshots", "Snapshot", snapshots.map(SnapshotPresenter.value))
    }
}
