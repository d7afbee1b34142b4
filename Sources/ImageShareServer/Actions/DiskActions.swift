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
        let filter = try parameters.diskFilter(in: region)
        let page = try parameters.page(defaultSize: 10, maxSize: 100, tokens: true)
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
        let filter = try parameters.snapshotFilter()
        let page = try parameters.page(defaultSize: 10, maxSize: 100, tokens: true)
        try parameters.checkDryRun()
        let (snapshots, total) = try await store.snapshots(
            in: region.id, ownerId: request.caller.accountId, filter: filter, offset: page.offset, limit: page.size)
        return page.response(totalCount: total, "Snapshots", "Snapshot", snapshots.map(SnapshotPresenter.value))
    }
}

extension ParameterBag {
    /// Every DescribeDisks filter ECS documents, validated.
    func diskFilter(in region: Region) throws(ECSError) -> DiskFilter {
        var filter = DiskFilter()
        filter.ids = try idList("DiskIds")
        filter.instanceId = try foreignId("InstanceId")
        if let type = string("DiskType")?.lowercased(), type != "all" {
            guard type == "system" || type == "data" else { throw ECSError.invalidDiskType }
            filter.type = type
        }
        filter.status = try oneOf(
            "Status", ["In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting", "All"]
        ).flatMap { $0 == "All" ? nil : $0 }
        if let zoneId = string("ZoneId") {
            guard region.hasZone(zoneId) else { throw ECSError.invalidZone }
            filter.zoneId = zoneId
        }
        filter.name = try nameFilter("DiskName")
        if let category = string("Category"), category.lowercased() != "all" {
            filter.category = try diskCategory("Category", orThrow: .invalidDiskCategory)
        }
        filter.portable = try bool("Portable")
        filter.deleteWithInstance = try bool("DeleteWithInstance")
        filter.sourceSnapshotId = try foreignId("SnapshotId")
        filter.tags = try tags(valuesOptional: true)
        if let level = try oneOf("PerformanceLevel", ["PL0", "PL1", "PL2", "PL3"]) {
            // Enterprise SSDs here are PL1; no other disk has a performance level.
            if level == "PL1", filter.category == nil || filter.category == "cloud_essd" {
                filter.category = "cloud_essd"
            } else {
                filter.matchesNothing = true
            }
        }
        let shared = [
            try sharedValueMatches("Encrypted", false),
            try sharedValueMatches("EnableShared", false),
            try sharedValueMatches("EnableAutoSnapshot", false),
            try sharedValueMatches("EnableAutomatedSnapshotPolicy", false),
            try sharedValueMatches("DeleteAutoSnapshot", true),
            try sharedValueMatches("DiskChargeType", "PostPaid", allowed: ["PrePaid", "PostPaid"]),
            try sharedValueMatches("MultiAttach", "Disabled", allowed: ["Enabled", "Disabled", "LegacyShared"]),
        ]
        if shared.contains(false) || anyGiven(["AutoSnapshotPolicyId", "KMSKeyId", "LockReason", "ResourceGroupId"]) {
            filter.matchesNothing = true
        }
        try refuseUnsupported(["Filter."])
        return filter
    }

    /// Every DescribeSnapshots filter ECS documents, validated.
    func snapshotFilter() throws(ECSError) -> SnapshotFilter {
        var filter = SnapshotFilter()
        filter.ids = try idList("SnapshotIds")
        filter.diskId = try foreignId("DiskId")
        filter.instanceId = try foreignId("InstanceId")
        filter.name = try nameFilter("SnapshotName")
        filter.sourceDiskType = try oneOf("SourceDiskType", ["system", "data"])
        filter.usage = try oneOf("Usage", ["image", "disk", "image_disk", "none"])
        filter.tags = try tags(valuesOptional: true)
        // Snapshots complete at once here: only `accomplished` (or `all`) matches.
        let status = try oneOf("Status", ["progressing", "accomplished", "failed", "all"])
        let type = try oneOf("SnapshotType", ["auto", "user", "all"])
        let shared = [
            status == nil || status == "accomplished" || status == "all",
            type == nil || type == "user" || type == "all",
            try sharedValueMatches("Encrypted", false),
            try sharedValueMatches("Category", "standard", allowed: ["standard", "flash"]),
        ]
        if shared.contains(false) || anyGiven(["KMSKeyId", "ResourceGroupId", "SnapshotLinkId"]) { filter.matchesNothing = true }
        try refuseUnsupported(["Filter."])
        return filter
    }
}
