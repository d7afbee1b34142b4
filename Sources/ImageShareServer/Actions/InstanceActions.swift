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
        let userData = try parameters.string("UserData").map(InstanceRules.checkUserData) ?? ""
        let network = try parameters.instanceNetwork()
        try parameters.checkPassword()

        let image = try await catalogue.launchImage(id: imageId, in: region.id, viewer: request.caller.accountId, now: request.now)
        try InstanceRules.checkCompatible(imageId: image.id, image.os.architecture, with: instanceType)
        let systemSize = requestedSize ?? max(20, image.sizeGiB)
        guard systemSize >= image.sizeGiB else { throw ECSError.systemDiskTooSmall }

        var launch = LaunchRequest(
            regionId: region.id, zoneId: zoneId, ownerId: request.caller.accountId, image: image, instanceType: instanceType,
            amount: amount, name: name, hostName: hostName, description: description,
            systemDiskCategory: systemCategory ?? "cloud_essd", systemDiskSizeGiB: systemSize,
            dataDisks: dataDisks, securityGroupIds: securityGroups, vSwitchId: vSwitchId,
            chargeType: chargeType, tags: tags, startRunning: startRunning)
        launch.userData = userData
        launch.network = network
        return try await parameters.writing { [launch] in
            try await store.launchInstances(launch, quota: instanceQuota, idempotency: key, now: request.now)
        }
    }

    @Sendable func describeInstances(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let filter = try parameters.instanceFilter(in: region)
        let page = try parameters.page(defaultSize: 10, maxSize: 100, tokens: true)
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
    /// Every DescribeInstances filter ECS documents, validated.
    func instanceFilter(in region: Region) throws(ECSError) -> InstanceFilter {
        var filter = InstanceFilter()
        filter.ids = try idList("InstanceIds")
        filter.imageId = string("ImageId")
        filter.status = try oneOf("Status", InstanceStatus.self, orThrow: .invalidParameter("Status"))
        filter.namePattern = try nameFilter("InstanceName")
        if let zoneId = string("ZoneId") {
            guard region.hasZone(zoneId) else { throw ECSError.invalidZone }
            filter.zoneId = zoneId
        }
        filter.vpcId = try foreignId("VpcId")
        filter.vSwitchId = try foreignId("VSwitchId")
        filter.securityGroupId = try foreignId("SecurityGroupId")
        filter.instanceType = try foreignId("InstanceType")
        filter.instanceTypeFamily = try foreignId("InstanceTypeFamily")
        filter.chargeType = try oneOf("InstanceChargeType", ["PrePaid", "PostPaid"])
        filter.internetChargeType = try oneOf("InternetChargeType", ["PayByTraffic", "PayByBandwidth"])
        filter.networkType = try oneOf("InstanceNetworkType", ["vpc", "classic"])
        filter.keyPairName = try foreignId("KeyPairName")
        filter.publicIps = try idList("PublicIpAddresses")
        // Inner addresses are the private addresses of classic instances, private ones those of VPC instances.
        for (name, network) in [("InnerIpAddresses", "classic"), ("PrivateIpAddresses", "vpc")] {
            guard let ips = try idList(name) else { continue }
            if filter.networkType.map({ $0 != network }) == true || filter.privateIps != nil { filter.matchesNothing = true }
            filter.networkType = network
            filter.privateIps = ips
        }
        filter.tags = try tags(valuesOptional: true)
        let shared = [
            try sharedValueMatches("IoOptimized", true),
            try sharedValueMatches("DeviceAvailable", true),
            try sharedValueMatches("HttpEndpoint", "enabled", allowed: ["enabled", "disabled"]),
            try sharedValueMatches("HttpTokens", "optional", allowed: ["optional", "required"]),
        ]
        let unmatchable = [
            "EipAddresses", "HpcClusterId", "LockReason", "ResourceGroupId", "RdmaIpAddresses", "Ipv6Address.",
            "DedicatedHostId",
        ]
        if shared.contains(false) || anyGiven(unmatchable) { filter.matchesNothing = true }
        try refuseUnsupported(["Filter.", "HttpPutResponseHopLimit"])
        return filter
    }

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

    /// `InternetChargeType`, `InternetMaxBandwidthOut` (0–100), `InternetMaxBandwidthIn` (1–200) and `KeyPairName`.
    func instanceNetwork() throws(ECSError) -> InstanceNetwork {
        InstanceNetwork(
            internetChargeType: try oneOf("InternetChargeType", ["PayByTraffic", "PayByBandwidth"]) ?? "PayByTraffic",
            maxBandwidthOut: try int("InternetMaxBandwidthOut", in: 0...100, orThrow: .invalidBandwidth) ?? 0,
            maxBandwidthIn: try int("InternetMaxBandwidthIn", in: 1...200) ?? 200,
            keyPairName: try foreignId("KeyPairName") ?? "")
    }

    /// `Password`, when given, must meet ECS's rules; it is checked, never stored (nothing here logs in).
    func checkPassword() throws(ECSError) {
        if let password = string("Password"), !InstanceRules.isValidPassword(password) { throw .passwordMalformed }
    }

    /// The disk categories ECS offers for system and data disks.
    static let diskCategories = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry"]

    func diskCategory(_ name: String, orThrow error: ECSError) throws(ECSError) -> String? {
        try oneOf(name, Self.diskCategories, orThrow: error)
    }

    /// `SecurityGroupId` and `SecurityGroupIds.N` together, the single one first: as many groups as an
    /// instance may be in (`InstanceSecurityGroupLimitExceeded` beyond).
    func securityGroupIds() throws(ECSError) -> [String] {
        let listed = try indexedIds("SecurityGroupIds", max: SecurityGroupRules.maxGroupsPerInstance)
        var groups = (try foreignId("SecurityGroupId")).map { [$0] + listed } ?? listed
        groups = groups.reduce(into: []) { unique, id in if !unique.contains(id) { unique.append(id) } }
        guard groups.count <= SecurityGroupRules.maxGroupsPerInstance else { throw .instanceSecurityGroupLimitExceeded }
        return groups
    }
}
