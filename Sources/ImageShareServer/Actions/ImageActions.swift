import ECSWire
import Foundation
import ImageShareCore

/// The image calls: DescribeImages.
struct ImageActions: Sendable {
    let regions: RegionCatalogue
    let publicImages: PublicImageCatalogue

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeImages", describeImages)
    }

    @Sendable func describeImages(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        let filter = try parameters.imageFilter()
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        if try parameters.bool("DryRun") == true { throw ECSError.dryRunOperation }

        var matches: [Image] = []
        if filter.includesSystemImages {
            matches = publicImages.images(in: region.id).filter(filter.matchesAttributes(of:))
        }
        matches.sort { ($0.creationTime, $0.id) > ($1.creationTime, $1.id) }
        let items = page.slice(matches).map { ImagePresenter.value(of: $0, viewer: request.caller.accountId) }
        return [
            ("RegionId", .string(region.id)),
            ("TotalCount", .int(matches.count)),
            ("PageNumber", .int(page.number)),
            ("PageSize", .int(page.size)),
            ("Images", .collection("Image", items)),
        ]
    }
}

extension ParameterBag {
    /// The DescribeImages criteria, each value validated with the code ECS uses for it.
    func imageFilter() throws(ECSError) -> ImageFilter {
        var filter = ImageFilter()
        if let ids = commaList("ImageId") {
            guard ids.count <= 100 else { throw .invalidParameter("ImageId", "at most 100 IDs") }
            filter.imageIds = Set(ids)
        }
        filter.nameContains = string("ImageName")
        filter.ownerAlias = try oneOf("ImageOwnerAlias", ImageOwnerAlias.self, orThrow: .invalidImageOwnerAlias)
        if let owner = string("ImageOwnerId") {
            guard Int64(owner) != nil else { throw .invalidParameter("ImageOwnerId", "must be an account ID") }
            filter.ownerId = owner
        }
        filter.osType = try oneOf("OSType", OSType.self, orThrow: .invalidOSType)
        filter.architecture = try oneOf("Architecture", Architecture.self, orThrow: .invalidArchitecture)
        filter.imageFamily = string("ImageFamily")
        if let statuses = commaList("Status") {
            filter.statuses = try Self.imageStatuses(statuses)
        }
        return filter
    }

    /// `Status` is a comma list of statuses, or `ALL` alone.
    private static func imageStatuses(_ names: [String]) throws(ECSError) -> Set<ImageStatus> {
        if names.count == 1, names[0].uppercased() == "ALL" { return Set(ImageStatus.allCases) }
        var statuses = Set<ImageStatus>()
        for name in names {
            guard let status = ImageStatus.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() })
            else { throw .invalidImageStatus }
            statuses.insert(status)
        }
        return statuses
    }
}
