import ECSWire
import Foundation
import ImageShareCore

/// The instance calls clients make after launch: DescribeInstanceAttribute, ModifyInstanceAttribute,
/// DescribeUserData, RebootInstance and AllocatePublicIpAddress. None needs `RegionId` (Libcloud sends none).
struct InstanceAttributeActions: Sendable {
    let regions: RegionCatalogue
    let store: any InstanceStore

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeInstanceAttribute", describeInstanceAttribute)
        registry.register("ModifyInstanceAttribute", modifyInstanceAttribute)
        registry.register("DescribeUserData", describeUserData)
        registry.register("RebootInstance", rebootInstance)
        registry.register("AllocatePublicIpAddress", allocatePublicIpAddress)
    }

    /// The 37 members of ECS's answer at the top level (ECS's order puts `PublicIpAddress` before
    /// `EipAddress` here, unlike in DescribeInstances).
    @Sendable func describeInstanceAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let instance = try await ownedInstance(request)
        let listed = InstancePresenter.value(instance)
        guard case let .object(members) = listed else { return [] }
        let wanted: Set<String> = [
            "ClusterId", "Cpu", "CreationTime", "CreditSpecification", "DedicatedHostAttribute", "Description", "EipAddress",
            "ExpiredTime", "HostName", "ImageId", "InnerIpAddress", "InstanceChargeType", "InstanceId", "InstanceName",
            "InstanceNetworkType", "InstanceType", "InternetChargeType", "InternetMaxBandwidthIn", "InternetMaxBandwidthOut",
            "IoOptimized", "Memory", "OperationLocks", "PublicIpAddress", "RegionId", "SecurityGroupIds", "SerialNumber",
            "Status", "StoppedMode", "VlanId", "VpcAttributes", "ZoneId",
        ]
        return members.filter { wanted.contains($0.0) } + [
            ("EnableJumboFrame", .bool(false)),
            ("EnableNetworkEncryption", .bool(false)),
            ("NetworkOptions", .object([("EnableJumboFrame", .bool(false)), ("EnableNetworkEncryption", .bool(false))])),
            ("SecurityOptions", .object([("EnableSecureBoot", .bool(false))])),
        ]
    }

    /// Changes the name, description, host name, user data (instance stopped) or the whole set of security
    /// groups; `Password` is checked and not kept (nothing here logs in).
    @Sendable func modifyInstanceAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let instanceId = try parameters.required("InstanceId")
        var changes = InstanceAttributeChanges()
        changes.name = try parameters.text("InstanceName", TextRules.isValidInstanceName, orThrow: .instanceNameMalformed)
        changes.description = try parameters.description("Description")
        changes.hostName = try parameters.text("HostName", TextRules.isValidHostName, orThrow: .hostNameMalformed)
        changes.userData = try parameters.string("UserData").map(InstanceRules.checkUserData)
        let groups = try parameters.indexedIds("SecurityGroupIds", max: SecurityGroupRules.maxGroupsPerInstance)
        changes.securityGroupIds = groups.isEmpty ? nil : groups
        try parameters.checkPassword()
        try parameters.refuseUnsupported([
            "CreditSpecification", "DeletionProtection", "NetworkInterfaceQueueNumber", "Recyclable", "CpuOptions.",
            "RemoteConnectionOptions.", "EnableJumboFrame", "EnableNetworkEncryption", "PrivateDnsNameOptions.",
            "NetworkOptions.",
        ])
        try await parameters.writing {
            try await store.modifyInstance(id: instanceId, ownerId: request.caller.accountId, changes: changes)
        }
        return []
    }

    /// `UserData` is `""` when the instance has none: footmark decodes it unconditionally.
    @Sendable func describeUserData(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let instance = try await ownedInstance(request)
        return [
            ("RegionId", .string(instance.regionId)),
            ("InstanceId", .string(instance.id)),
            ("UserData", .string(instance.userData)),
        ]
    }

    /// A running instance restarts and is running again at once (this service runs no guests).
    @Sendable func rebootInstance(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let instanceId = try parameters.required("InstanceId")
        _ = try parameters.bool("ForceStop")
        try await parameters.writing {
            try await store.transitionInstance(
                id: instanceId, ownerId: request.caller.accountId, from: [.running], to: .running, now: request.now)
        }
        return []
    }

    @Sendable func allocatePublicIpAddress(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let instanceId = try parameters.required("InstanceId")
        try parameters.refuseUnsupported(["IpAddress", "VlanId"])
        let address = try await parameters.writing {
            try await store.allocatePublicIp(instanceId: instanceId, ownerId: request.caller.accountId)
        }
        return [("IpAddress", .string(address))]
    }

    private func ownedInstance(_ request: ActionRequest) async throws -> Instance {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let instanceId = try parameters.required("InstanceId")
        guard let instance = try await store.instance(id: instanceId, ownerId: request.caller.accountId) else {
            throw ECSError.instanceNotFound
        }
        return instance
    }
}

extension ParameterBag {
    /// `Name.1` … `Name.max`, each an ID of 1–64 characters.
    func indexedIds(_ name: String, max: Int) throws(ECSError) -> [String] {
        let ids = indexedList(name)
        guard ids.count <= max else { throw .invalidParameter(name, "at most \(max) IDs") }
        for (index, id) in ids.enumerated() where id.isEmpty || id.count > TextRules.maxForeignIdLength {
            throw .invalidParameter("\(name).\(index + 1)", "1 to \(TextRules.maxForeignIdLength) characters")
        }
        return ids
    }
}
