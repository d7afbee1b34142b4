import ECSWire
import Foundation
import ImageShareCore

/// RunInstances, CreateInstance, DescribeInstances, Start/Stop/DeleteInstance and ReplaceSystemDisk.
struct InstanceActions: Sendable {
    let catalogue: ImageCatalogue
    let store: any InstanceStore
    /// Instances one account may have per region (`QuotaExceed.ElasticQuota` beyond).
    let instanceQuota: Int

    func register(in registry: inout ActionRegistry) {
        registry.register("RunInstances", runInstances)
        registry.register("CreateInstance", createInstance)
        registry.register("DescribeInstances", describeInstances)
        registry.register("StartInstance", startInstance)
        registry.register("StopInstance", stopInstance)
        registry.register("DeleteInstance", deleteInstance)
        registry.register("ReplaceSystemDisk", replaceSystemDisk)
    }

    @Sendable func runInstances(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let amount = try request.parameters.int("Amount", in: 1...100) ?? 1
        let ids = try await launch(request, amount: amount, startRunning: true)
        return [("InstanceIdSets", .collection("InstanceIdSet", ids.map(WireValue.string)))]
    }

    /// CreateInstance leaves the instance `Stopped`, as on ECS.
    @Sendable func createInstance(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let ids = try await launch(request, amount: 1, startRunning: false)
        return [("InstanceId", .string(ids[0]))]
    }

    private func launch(_ request: ActionRequest, amount: Int, startRunning: Bool) async throws -> [String] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        let typeName = try parameters.required("InstanceType")
        guard let instanceType = InstanceType.catalogue[typeName] else { throw ECSError.invalidInstanceType(typeName) }
        let zoneId = parameters.string("ZoneId") ?? region.defaultZoneId
        guard region.hasZone(zoneId) else { throw ECSError.invalidZone }
        let requestedSize = try parameters.int("SystemDisk.Size", in: 20...2_048, orThrow: .invalidSystemDiskSize)
        let systemCategory = try parameters.diskCategory("SystemDisk.Category", orThrow: .invalidSystemDiskCategory)
        let dataDisks = try parameters.dataDisks()
        let securityGroups = try parameters.securityGroupIds()
        let tags = try parameters.resourceTags()
        let key = try parameters.idempotencyKey(for: request)
        let name = try parameters.text("InstanceName", TextRules.isValidInstanceName, orThrow: .instanceNameMalformed)
        let hostName = try parameters.text("HostName", TextRules.isValidHostName, orThrow: .hostNameMalformed)
        let description = try parameters.description("Description") ?? ""
        let vSwitchId = try parameters.foreignId("VSwitchId") ?? ""
        let chargeType = try parameters.oneOf("InstanceChargeType", ["PrePaid", "PostPaid"]) ?? "PostPaid"

        let image = try await catalogue.launchImage(id: imageId, in: region.id, viewer: request.caller.accountId, now: request.now)
        try InstanceRules.checkCompatible(imageId: image.id, image.os.architecture, with: instanceType)
        let systemSize = requestedSize ?? max(20, image.sizeGiB)
        guard systemSize >= image.sizeGiB else { throw ECSError.systemDiskTooSmall }

        let launch = LaunchRequest(
            regionId: region.id, zoneId: zoneId, ownerId: request.caller.accountId, image: image, instanceType: instanceType,
            amount: amount, name: name, hostName: hostName, description: description,
            systemDiskCategory: systemCategory ?? "cloud_essd", systemDiskSizeGiB: systemSize,
            dataDisks: dataDisks, securityGroupIds: securityGroups, vSwitchId: vSwitchId,
            chargeType: chargeType, tags: tags, startRunning: startRunning)
        return try await parameters.writing {
            try await store.launchInstances(launch, quota: instanceQuota, idempotency: key, now: request.now)
        }
    }

    @Sendable func describeInstances(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        var filter = InstanceFilter()
        filter.ids = try parameters.idList("InstanceIds")
        filter.imageId = parameters.string("ImageId")
        filter.status = try parameters.oneOf("Status", InstanceStatus.self, orThrow: .invalidParameter("Status"))
        filter.namePattern = try parameters.nameFilter("InstanceName")
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        try parameters.checkDryRun()
        let (instances, total) = try await store.instances(
            in: region.id, ownerId: request.caller.accountId, filter: filter, offset: page.offset, limit: page.size)
        return page.response(totalCount: total, "Instances", "Instance", instances.map(InstancePresenter.value))
    }

    @Sendable func startInstance(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        try await transition(request, from: [.stopped], to: .running)
    }

    @Sendable func stopInstance(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        try await transition(request, from: [.running], to: .stopped)
    }

    private func transition(_ request: ActionRequest, from: Set<InstanceStatus>, to: InstanceStatus) async throws
        -> [(String, WireValue)]
    {
        let instanceId = try request.parameters.required("InstanceId")
        try await request.parameters.writing {
            try await store.transitionInstance(
                id: instanceId, ownerId: request.caller.accountId, from: from, to: to, now: request.now)
        }
        return []
    }

    @Sendable func deleteInstance(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let instanceId = try request.parameters.required("InstanceId")
        let force = try request.parameters.bool("Force") ?? false
        try await request.parameters.writing {
            try await store.deleteInstance(id: instanceId, ownerId: request.caller.accountId, force: force)
        }
        return []
    }

    /// The instance must be `Stopped`; the new disk gets a new ID and remembers the new image (S14).
    @Sendable func replaceSystemDisk(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let instanceId = try parameters.required("InstanceId")
        let imageId = try parameters.required("ImageId")
        let size = try parameters.int("SystemDisk.Size", in: 20...2_048, orThrow: .invalidSystemDiskSize)
        let key = try parameters.idempotencyKey(for: request)
        guard let instance = try await store.instance(id: instanceId, ownerId: request.caller.accountId) else {
            throw ECSError.instanceNotFound
        }
        guard instance.status == .stopped else { throw ECSError.incorrectInstanceStatus }
        let image = try await catalogue.launchImage(
            id: imageId, in: instance.regionId, viewer: request.caller.accountId, now: request.now)
        try InstanceRules.checkCompatible(imageId: image.id, image.os.architecture, with: instance.instanceType)
        if let size, size < image.sizeGiB { throw ECSError.systemDiskTooSmall }
        let diskId = try await store.replaceSystemDisk(
            instanceId: instanceId, ownerId: request.caller.accountId, image: image, sizeGiB: size, idempotency: key,
            now: request.now)
        return [("DiskId", .string(diskId))]
    }
}

extension ParameterBag {
    /// `DataDisk.N.Size` / `.Category` / `.SnapshotId` / `.DeleteWithInstance`, N 1…16.
    func dataDisks() throws(ECSError) -> [DataDiskRequest] {
        var disks: [DataDiskRequest] = []
        for index in 1...16 {
            let prefix = "DataDisk.\(index)."
            let size = try int(prefix + "Size", in: 20...32_768, orThrow: .invalidDataDiskSize)
            let snapshot = string(prefix + "SnapshotId")
            guard size != nil || snapshot != nil else { break }
            disks.append(
                DataDiskRequest(
                    sizeGiB: size ?? 40,
                    category: try diskCategory(prefix + "Category", orThrow: .invalidDataDiskCategory) ?? "cloud_essd",
                    snapshotId: snapshot, deleteWithInstance: try bool(prefix + "DeleteWithInstance") ?? true))
        }
        return disks
    }

    /// The disk categories ECS offers for system and data disks.
    static let diskCategories = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry"]

    func diskCategory(_ name: String, orThrow error: ECSError) throws(ECSError) -> String? {
        try oneOf(name, Self.diskCategories, orThrow: error)
    }

    /// `SecurityGroupId` and `SecurityGroupIds.N` together: at most 16 groups, the single one first.
    func securityGroupIds() throws(ECSError) -> [String] {
        let listed = indexedList("SecurityGroupIds")
        guard listed.count <= 16 else { throw .invalidParameter("SecurityGroupIds", "at most 16 security groups") }
        for (index, group) in listed.enumerated() where group.isEmpty || group.count > TextRules.maxForeignIdLength {
            throw .invalidParameter("SecurityGroupIds.\(index + 1)", "1 to \(TextRules.maxForeignIdLength) characters")
        }
        return (try foreignId("SecurityGroupId")).map { [$0] + listed } ?? listed
    }
}
