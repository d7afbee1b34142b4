import ECSWire
import Foundation
import ImageShareCore

/// Finds images as one caller sees them: public images from the built-in catalogue, custom images from the store.
struct ImageCatalogue: Sendable {
    let regions: RegionCatalogue
    let publicImages: PublicImageCatalogue
    let store: any ImageStore

    /// The image with this ID in this region if `viewer` can see it (own, shared with them, public, community).
    func visibleImage(id: String, in regionId: String, viewer: String, now: Date) async throws -> Image? {
        if let image = publicImages.image(id: id, in: regionId) { return image }
        guard let image = try await store.customImage(id: id, in: regionId, now: now) else { return nil }
        let shared = try await store.isImage(id, sharedWith: viewer)
        return ImageRules.visibility(of: image, to: viewer, isSharedWithViewer: shared) == nil ? nil : image
    }

    /// The image `viewer` may launch from or put on a system disk, or `InvalidImageId.NotFound`.
    func launchImage(id: String, in regionId: String, viewer: String, now: Date) async throws -> LaunchImage {
        guard let image = try await visibleImage(id: id, in: regionId, viewer: viewer, now: now),
            image.status == .available || image.status == .deprecated
        else { throw ECSError.imageNotFound }
        if case let .account(owner) = image.ownership {
            return LaunchImage(id: image.id, os: image.osProfile, sizeGiB: image.sizeGiB, ownerId: owner)
        }
        return LaunchImage(id: image.id, os: image.osProfile, sizeGiB: image.sizeGiB, ownerId: nil)
    }
}

extension ParameterBag {
    /// `Tag.N.Key` / `Tag.N.Value` (N 1…20; the legacy lower-case `Tag.N.key` too). Values may be omitted
    /// when `valuesOptional` (filters); keys must be unique.
    func tags(valuesOptional: Bool = false) throws(ECSError) -> [(key: String, value: String?)] {
        var tags: [(key: String, value: String?)] = []
        var index = 1
        while let key = string("Tag.\(index).Key") ?? string("Tag.\(index).key") {
            guard index <= 20 else { throw .invalidTagCount }
            let value = string("Tag.\(index).Value") ?? string("Tag.\(index).value")
            guard key.count <= 128, !key.lowercased().hasPrefix("aliyun"), !key.lowercased().hasPrefix("acs:") else {
                throw .invalidTagKey
            }
            guard !tags.contains(where: { $0.key == key }) else { throw .duplicateTagKey }
            tags.append((key, valuesOptional ? value : value ?? ""))
            index += 1
        }
        if string("Tag.21.Key") != nil { throw .invalidTagCount }
        return tags
    }

    /// Tags of a resource being created.
    func resourceTags() throws(ECSError) -> [ResourceTag] {
        try tags().map { ResourceTag(key: $0.key, value: $0.value ?? "") }
    }

    /// `ClientToken` scoped to the caller and action, with a fingerprint of every business parameter.
    func idempotencyKey(for request: ActionRequest) throws(ECSError) -> IdempotencyKey? {
        guard let token = string("ClientToken") else { return nil }
        guard token.utf8.count <= 64, token.allSatisfy(\.isASCII) else {
            throw .invalidParameter("ClientToken", "at most 64 ASCII characters")
        }
        return IdempotencyKey(
            accountId: request.caller.accountId, action: request.action, token: token, fingerprint: businessFingerprint)
    }

    /// `DryRun=true`: every check so far passed, so answer `DryRunOperation` instead of acting.
    func checkDryRun() throws(ECSError) {
        if try bool("DryRun") == true { throw .dryRunOperation }
    }
}
