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
        guard let (image, shared) = try await store.customImage(id: id, in: regionId, viewer: viewer, now: now) else {
            return nil
        }
        return ImageRules.visibility(of: image, to: viewer, isSharedWithViewer: shared) == nil ? nil : image
    }

    /// One page of the images `viewer` sees in a region that match `filter`, as DescribeImages lists them:
    /// custom images first (newest first), then public images (newest first), paging across both.
    func images(in regionId: String, matching filter: ImageFilter, viewer: String, page: PageRequest, now: Date) async throws
        -> (images: [Image], totalCount: Int)
    {
        var custom: [Image] = []
        var customTotal = 0
        if let scope = filter.customScope {
            (custom, customTotal) = try await store.customImages(
                in: regionId, scope: scope, viewer: viewer, filter: filter, offset: page.offset, limit: page.size, now: now)
        }
        let system = filter.includesSystemImages
            ? publicImages.images(in: regionId).filter(filter.matchesAttributes(of:))
                .sorted { ($0.creationTime, $0.id) > ($1.creationTime, $1.id) }
            : []
        var items = custom
        if items.count < page.size {
            let start = max(0, page.offset - customTotal)
            items += system.dropFirst(start).prefix(page.size - items.count)
        }
        return (items, customTotal + system.count)
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
