import ECSWire
import ImageShareCore

/// DescribeRegions.
struct RegionActions: Sendable {
    let regions: RegionCatalogue

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeRegions", describeRegions)
    }

    /// Needs no RegionId: the new SDK's model for this action has none.
    @Sendable func describeRegions(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let language = request.parameters.string("AcceptLanguage")
        // Every region here offers every charge type and resource type, so these narrow nothing; they are checked.
        _ = try request.parameters.oneOf("InstanceChargeType", ["PrePaid", "PostPaid", "SpotWithPriceLimit", "SpotAsPriceGo"])
        _ = try request.parameters.oneOf("ResourceType", ["instance", "disk", "reservedinstance", "scu"])
        let items: [WireValue] = regions.regions.map { region in
            .object([
                ("RegionId", .string(region.id)),
                ("LocalName", .string(region.localName(acceptLanguage: language))),
                ("RegionEndpoint", .string(region.endpoint)),
                ("Status", .string("available")),
            ])
        }
        return [("Regions", .collection("Region", items))]
    }
}

extension ParameterBag {
    /// The required `RegionId`, which must name a region this server offers.
    func region(in catalogue: RegionCatalogue) throws(ECSError) -> Region {
        let id = try required("RegionId")
        guard let region = catalogue.region(id: id) else { throw .regionNotFound(id, offered: catalogue.regions.map(\.id)) }
        return region
    }
}
