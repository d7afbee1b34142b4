import ECSWire
import Foundation
import ImageShareCore

/// ModifyImageSharePermission and DescribeImageSharePermission.
struct SharingActions: Sendable {
    let catalogue: ImageCatalogue
    let store: any ImageStore

    func register(in registry: inout ActionRegistry) {
        registry.register("ModifyImageSharePermission", modifyImageSharePermission)
        registry.register("DescribeImageSharePermission", describeImageSharePermission)
    }

    @Sendable func modifyImageSharePermission(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        let add = parameters.indexedList("AddAccount")
        let remove = parameters.indexedList("RemoveAccount")
        let isPublic = try parameters.bool("IsPublic")
        try await parameters.writing {
            try await store.modifySharePermission(
                imageId: imageId, regionId: region.id, ownerId: request.caller.accountId, add: add, remove: remove,
                isPublic: isPublic, now: request.now)
        }
        return []
    }

    @Sendable func describeImageSharePermission(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: catalogue.regions)
        let imageId = try parameters.required("ImageId")
        let page = try parameters.page(defaultSize: 10, maxSize: 100)
        let shares = try await store.sharePermissions(
            imageId: imageId, regionId: region.id, ownerId: request.caller.accountId,
            offset: page.offset, limit: page.size)
        let accounts: [WireValue] = shares.accounts.map {
            .object([("AliyunId", .string($0.accountId)), ("SharedTime", .string(ECSTimestamp.format($0.sharedAt)))])
        }
        return [
            ("RegionId", .string(region.id)),
            ("ImageId", .string(imageId)),
            ("PageNumber", .int(page.number)),
            ("PageSize", .int(page.size)),
            ("TotalCount", .int(shares.totalCount)),
            ("ShareGroups", .collection("ShareGroup", shares.isPublic ? [.object([("Group", .string("all"))])] : [])),
            ("Accounts", .collection("Account", accounts)),
        ]
    }
}
