import ECSWire
import ImageShareCore

/// DescribeZones and DescribeInstanceTypes, from the built-in catalogues: every zone offers every instance
/// type and disk category here.
struct ZoneActions: Sendable {
    let regions: RegionCatalogue

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeZones", describeZones)
        registry.register("DescribeInstanceTypes", describeInstanceTypes)
    }

    @Sendable func describeZones(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let language = parameters.string("AcceptLanguage")
        _ = try parameters.oneOf("InstanceChargeType", ["PrePaid", "PostPaid"])
        _ = try parameters.oneOf("SpotStrategy", ["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"])
        let verbose = try parameters.bool("Verbose") ?? true
        let types = InstanceType.catalogueIDs.map(WireValue.string)
        let categories = ParameterBag.diskCategories.map(WireValue.string)
        let zones: [WireValue] = region.zoneIds.map { zoneId in
            var members: [(String, WireValue)] = [
                ("ZoneId", .string(zoneId)),
                ("LocalName", .string(region.zoneLocalName(zoneId, acceptLanguage: language))),
                ("ZoneType", .string("AvailabilityZone")),
            ]
            guard verbose else { return .object(members) }
            members += [
                ("AvailableResourceCreation", .collection("ResourceTypes", ["Instance", "Disk", "VSwitch", "IoOptimized"].map(WireValue.string))),
                ("AvailableInstanceTypes", .collection("InstanceTypes", types)),
                ("AvailableDiskCategories", .collection("DiskCategories", categories)),
                ("AvailableVolumeCategories", .collection("VolumeCategories", [])),
                ("AvailableDedicatedHostTypes", .collection("DedicatedHostType", [])),
                ("DedicatedHostGenerations", .collection("DedicatedHostGeneration", [])),
                (
                    "AvailableResources",
                    .collection(
                        "ResourcesInfo",
                        [
                            .object([
                                ("IoOptimized", .bool(true)),
                                ("InstanceTypes", .collection("supportedInstanceType", types)),
                                (
                                    "InstanceTypeFamilies",
                                    .collection("supportedInstanceTypeFamily", Self.families.map(WireValue.string))
                                ),
                                ("InstanceGenerations", .collection("supportedInstanceGeneration", [.string("ecs-5")])),
                                ("SystemDiskCategories", .collection("supportedSystemDiskCategory", categories)),
                                ("DataDiskCategories", .collection("supportedDataDiskCategory", categories)),
                                ("NetworkTypes", .collection("supportedNetworkCategory", [.string("vpc"), .string("classic")])),
                            ])
                        ])
                ),
            ]
            return .object(members)
        }
        return [("Zones", .collection("Zone", zones))]
    }

    /// Needs no `RegionId` (Libcloud's `list_sizes` sends none). `MemorySize` is in GiB.
    @Sendable func describeInstanceTypes(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        var types = InstanceType.catalogueIDs.compactMap { InstanceType.catalogue[$0] }
        let named = try parameters.indexedIds("InstanceTypes", max: 10)
        if !named.isEmpty { types = types.filter { named.contains($0.id) } }
        let families = Set(try parameters.indexedIds("InstanceTypeFamilies", max: 10) + [parameters.string("InstanceTypeFamily")].compactMap { $0 })
        if !families.isEmpty { types = types.filter { families.contains($0.family) } }
        let architectures = Set(
            try [parameters.oneOf("CpuArchitecture", ["X86", "ARM"])].compactMap { $0 }
                + parameters.indexedList("CpuArchitectures").map { name throws(ECSError) in
                    guard let value = ["X86", "ARM"].first(where: { $0.lowercased() == name.lowercased() }) else {
                        throw .invalidParameter("CpuArchitectures", "must be X86 or ARM")
                    }
                    return value
                })
        if !architectures.isEmpty { types = types.filter { architectures.contains(Self.cpuArchitecture(of: $0)) } }
        let minimumCpu = try parameters.int("MinimumCpuCoreCount", in: 0...10_000)
        let maximumCpu = try parameters.int("MaximumCpuCoreCount", in: 0...10_000)
        types = types.filter { type in
            minimumCpu.map { type.cpu >= $0 } ?? true && maximumCpu.map { type.cpu <= $0 } ?? true
        }
        let minimumMemory = try parameters.decimal("MinimumMemorySize")
        let maximumMemory = try parameters.decimal("MaximumMemorySize")
        types = types.filter { type in
            let gib = Double(type.memoryMiB) / 1_024
            return minimumMemory.map { gib >= $0 } ?? true && maximumMemory.map { gib <= $0 } ?? true
        }
        // The catalogue has no GPUs, local disks or burstable credits: asking for any matches nothing.
        if try (parameters.int("MinimumGPUAmount", in: 0...1_000) ?? 0) > 0 || parameters.anyGiven(["GPUSpec", "GpuSpecs."]) {
            types = []
        }
        _ = try parameters.int("MaximumGPUAmount", in: 0...1_000)  // no type has a GPU, so every type is within it
        try parameters.refuseUnsupported(Self.unsupportedFilters)
        let page = try parameters.page(defaultSize: 1_600, maxSize: 1_600, tokens: true)
        let shown = types.dropFirst(page.offset).prefix(page.size)
        let items: [WireValue] = shown.map { type in
            .object([
                ("InstanceTypeId", .string(type.id)),
                ("InstanceTypeFamily", .string(type.family)),
                ("CpuCoreCount", .int(type.cpu)),
                ("MemorySize", .int(type.memoryMiB / 1_024)),
                ("CpuArchitecture", .string(Self.cpuArchitecture(of: type))),
                ("GPUAmount", .int(0)),
                ("GPUSpec", .string("")),
                ("InstanceCategory", .string("General-purpose")),
                ("InstanceFamilyLevel", .string("EnterpriseLevel")),
                ("LocalStorageCategory", .string("")),
                ("LocalStorageAmount", .int(0)),
            ])
        }
        return [
            ("NextToken", .string(page.nextToken(totalCount: types.count))),
            ("InstanceTypes", .collection("InstanceType", items)),
        ]
    }

    static var families: [String] { Array(Set(InstanceType.catalogue.values.map(\.family))).sorted() }

    static func cpuArchitecture(of type: InstanceType) -> String { type.architecture == .arm64 ? "ARM" : "X86" }

    /// DescribeInstanceTypes filters on figures this catalogue does not record.
    static let unsupportedFilters = [
        "InstanceFamilyLevel", "InstanceCategory", "InstanceCategories.", "LocalStorageCategory", "LocalStorageCategories.",
        "MaximumCpuSpeedFrequency", "MaximumCpuTurboFrequency", "MinimumBaselineCredit",
        "MinimumCpuSpeedFrequency", "MinimumCpuTurboFrequency", "MinimumDiskQuantity", "MinimumEniIpv6AddressQuantity",
        "MinimumEniPrivateIpAddressQuantity", "MinimumEniQuantity", "MinimumEriQuantity", "MinimumInitialCredit",
        "MinimumInstanceBandwidthRx", "MinimumInstanceBandwidthTx", "MinimumInstancePpsRx", "MinimumInstancePpsTx",
        "MinimumLocalStorageAmount", "MinimumLocalStorageCapacity", "MinimumPrimaryEniQueueNumber", "MinimumQueuePairNumber",
        "MinimumSecondaryEniQueueNumber", "NvmeSupport", "PhysicalProcessorModel", "PhysicalProcessorModels.",
    ]
}

extension ParameterBag {
    /// A non-negative decimal such as `MinimumMemorySize=0.5`, or nil when absent.
    func decimal(_ name: String) throws(ECSError) -> Double? {
        guard let text = string(name) else { return nil }
        guard text.count <= 16, let value = Double(text), value.isFinite, value >= 0 else {
            throw .invalidParameter(name, "must be a non-negative number")
        }
        return value
    }
}
