import ECSWire
import Foundation
import ImageShareCore

/// The image calls: DescribeImages, CreateImage, CopyImage, CancelCopyImage, DeleteImage, ModifyImageAttribute.
struct ImageActions: Sendable {
    let catalogue: ImageCatalogue
    let store: any ImageStore
    let configuration: ServerConfiguration

    func register(in registry: inout ActionRegistry) {
        registry.register("DescribeImages", describeImages)
        registry.register("CreateImage", createImage)
        registry.register("CopyImage", copyImage)
        registry.register("CancelCopyImage", cancelCopyImage)
        registry.register("DeleteImage", deleteImage)
        registry.register("ModifyImageAttribute", modifyImageAttribute)
    }

    /// Custom images (newest first) come before public images (newest first); paging spans both.
    @Sendable func describeImages(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let filter = try parameters.imageFilter()
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        try parameters.checkDryRun()

        let (items, total) = try await catalogue.images(
            in: region.id, matching: filter, viewer: request.caller.accountId, page: page, now: request.now)
        return [
            ("RegionId", .string(region.id)),
            ("TotalCount", .int(total)),
            ("PageNumber", .int(page.number)),
            ("PageSize", .int(page.size)),
            ("Images", .collection("Image", items.map { ImagePresenter.value(of: $0, viewer: request.caller.accountId) })),
        ]
    }

    @Sendable func createImage(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let source = try parameters.imageSource()
        var image = NewImage(
            regionId: region.id, ownerId: request.caller.accountId, name: try parameters.imageName("ImageName"),
            description: try parameters.description("Description") ?? "", family: try parameters.imageFamily() ?? "",
            version: try parameters.imageVersion() ?? "", bootMode: try parameters.bootMode() ?? "BIOS",
            architecture: try parameters.oneOf("Architecture", Architecture.self, orThrow: .invalidParameter("Architecture")),
            platform: try parameters.platform(), tags: try parameters.resourceTags(), source: source,
            readyAt: request.now.addingTimeInterval(configuration.imageBuildSeconds))
        image.buildFails = request.imageBuildFails
        let key = try parameters.idempotencyKey(for: request)
        let id = try await parameters.writing {
            try await store.createImage(image, quota: configuration.customImageQuota, idempotency: key, now: request.now)
        }
        return [("ImageId", .string(id))]
    }

    @Sendable func copyImage(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        let destination = parameters.string("DestinationRegionId") ?? region.id
        guard catalogue.regions.region(id: destination) != nil else { throw ECSError.destinationRegionNotFound }
        var copy = ImageCopyRequest(
            sourceImageId: imageId, sourceRegionId: region.id, callerId: request.caller.accountId,
            destinationRegionId: destination, name: try parameters.imageName("DestinationImageName"),
            description: try parameters.description("DestinationDescription"), tags: try parameters.resourceTags(),
            readyAt: request.now.addingTimeInterval(configuration.imageBuildSeconds))
        copy.buildFails = request.imageBuildFails
        let key = try parameters.idempotencyKey(for: request)
        let id = try await parameters.writing {
            try await store.copyImage(copy, quota: configuration.customImageQuota, idempotency: key, now: request.now)
        }
        return [("ImageId", .string(id))]
    }

    @Sendable func cancelCopyImage(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        try await store.cancelCopy(imageId: imageId, regionId: region.id, callerId: request.caller.accountId, now: request.now)
        return []
    }

    @Sendable func deleteImage(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        let force = try parameters.bool("Force") ?? false
        try await parameters.writing {
            try await store.deleteImage(
                imageId: imageId, regionId: region.id, ownerId: request.caller.accountId, force: force, now: request.now)
        }
        return []
    }

    @Sendable func modifyImageAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        var changes = ImageAttributeChanges()
        changes.name = try parameters.imageName("ImageName")
        changes.description = try parameters.description("Description")
        changes.family = try parameters.imageFamily()
        changes.bootMode = try parameters.bootMode()
        changes.status = try parameters.oneOf("Status", ImageStatus.self, orThrow: .invalidParameter("Status"))
        try await parameters.writing {
            try await store.modifyImageAttributes(
                imageId: imageId, regionId: region.id, ownerId: request.caller.accountId, changes: changes, now: request.now)
        }
        return []
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
        filter.nameContains = try nameFilter("ImageName")
        filter.ownerAlias = try oneOf("ImageOwnerAlias", ImageOwnerAlias.self, orThrow: .invalidImageOwnerAlias)
        if let owner = string("ImageOwnerId") {
            guard UInt64(owner) != nil else { throw .invalidParameter("ImageOwnerId", "must be an account ID") }
            filter.ownerId = owner
        }
        filter.osType = try oneOf("OSType", OSType.self, orThrow: .invalidOSType)
        filter.architecture = try oneOf("Architecture", Architecture.self, orThrow: .invalidArchitecture)
        filter.imageFamily = try nameFilter("ImageFamily")
        if let statuses = commaList("Status") {
            filter.statuses = try Self.imageStatuses(statuses)
        }
        if let usage = string("Usage") {
            switch usage.lowercased() {
            case "instance": filter.inUse = true
            case "none": filter.inUse = false
            default: throw .invalidUsage
            }
        }
        if let actionType = string("ActionType"), !["createecs", "changeos"].contains(actionType.lowercased()) {
            throw .invalidActionType
        }
        filter.communityOnly = try bool("IsPublic") ?? false
        filter.tags = try tags(valuesOptional: true)
        if let typeName = string("InstanceType") {
            guard let type = InstanceType.catalogue[typeName] else { throw .invalidInstanceType(typeName) }
            filter.runnableArchitectures = Set(Architecture.allCases.filter(type.runs))
        }
        filter.snapshotId = try foreignId("SnapshotId")
        if let usable = try bool("Usable") {
            let usableStatuses: Set<ImageStatus> = [.available, .deprecated]
            filter.statuses = usable ? filter.statuses.intersection(usableStatuses) : filter.statuses.subtracting(usableStatuses)
        }
        // There are no expired images to show; the flag only widens a search, so it is checked and has nothing to add.
        _ = try bool("ShowExpired")
        let shared = [try sharedValueMatches("IsSupportCloudinit", true), try sharedValueMatches("IsSupportIoOptimized", true)]
        if shared.contains(false) || anyGiven(["ResourceGroupId"]) { filter.matchNothing() }
        for index in 1...2 {
            guard let key = string("Filter.\(index).Key") else { continue }
            let value = try required("Filter.\(index).Value")
            // Documented as yyyy-MM-ddTHH:mmZ; seconds are accepted too.
            let full = value.count == 17 && value.hasSuffix("Z") ? String(value.dropLast()) + ":00Z" : value
            guard let date = ECSTimestamp.parse(full) else { throw .invalidFilterValue }
            switch key {
            case "CreationStartTime": filter.createdFrom = date
            case "CreationEndTime": filter.createdUntil = date
            default: throw .invalidFilterKey
            }
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

    /// CreateImage's source: `InstanceId` > `DiskDeviceMapping.N.*` > `SnapshotId`.
    func imageSource() throws(ECSError) -> ImageSource {
        if let instanceId = string("InstanceId") { return .instance(instanceId) }
        var mappings: [ImageDiskRequest] = []
        var index = 1
        while index <= 17 {
            let prefix = "DiskDeviceMapping.\(index)."
            let snapshot = string(prefix + "SnapshotId")
            let size = try int(prefix + "Size", in: 1...32_768)
            let device = string(prefix + "Device")
            let type = string(prefix + "DiskType")
            if snapshot == nil, size == nil, device == nil, type == nil { break }
            let diskType = type?.lowercased() ?? (device == nil || device == "/dev/xvda" ? "system" : "data")
            guard diskType == "system" || diskType == "data" else { throw .invalidParameter(prefix + "DiskType") }
            mappings.append(ImageDiskRequest(device: device, type: diskType, snapshotId: snapshot, sizeGiB: size))
            index += 1
        }
        if !mappings.isEmpty { return .mappings(mappings) }
        if let snapshotId = string("SnapshotId") { return .snapshot(snapshotId) }
        throw .missingImageSource
    }

    func imageFamily() throws(ECSError) -> String? {
        try text("ImageFamily", TextRules.isValidImageName, orThrow: .invalidParameter("ImageFamily", "2 to 128 characters, starting with a letter"))
    }

    func imageVersion() throws(ECSError) -> String? {
        try text(
            "ImageVersion", { $0.count <= TextRules.maxImageVersionLength },
            orThrow: .invalidParameter("ImageVersion", "at most \(TextRules.maxImageVersionLength) characters"))
    }

    /// The OS distribution (`Platform`), free text in ECS (`CentOS`, `Others Linux`, `Windows Server 2022` …).
    func platform() throws(ECSError) -> String? {
        try text("Platform", { (1...64).contains($0.count) }, orThrow: .invalidParameter("Platform", "at most 64 characters"))
    }

    func bootMode() throws(ECSError) -> String? {
        try oneOf("BootMode", ["BIOS", "UEFI", "UEFI-Preferred"])
    }
}
