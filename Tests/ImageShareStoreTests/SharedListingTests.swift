import Foundation
import ImageShareCore
import ImageShareStore
import ImageShareTestSupport
import Testing

/// The recipient's plain listing is answered from the share index; it must answer exactly what the general
/// query answers.
@Suite("store: the recipient's listing from the share index")
struct SharedListingTests {
    let now = StoreFixture.now
    let region = StoreFixture.region

    @Test("count and every page match the general query; unshared, other regions and other recipients stay out", arguments: StoreEngine.available)
    func sameAnswers(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let store = fixture.store
        var shared: [String] = []
        for index in 0..<7 {
            // All made at the same moment: both queries fall back to the ID for the order.
            let image = try await fixture.makeImage(name: "image-\(index)", readyAt: now)
            try await store.modifySharePermission(
                imageId: image, regionId: region, ownerId: fixture.owner, add: [fixture.friend], remove: [], isPublic: nil, now: now)
            shared.append(image)
        }
        let other = try await fixture.makeImage(name: "elsewhere", region: "cn-shanghai")
        try await store.modifySharePermission(
            imageId: other, regionId: "cn-shanghai", ownerId: fixture.owner, add: [fixture.friend], remove: [], isPublic: nil, now: now)
        try await store.modifySharePermission(
            imageId: shared[2], regionId: region, ownerId: fixture.owner, add: [fixture.stranger], remove: [fixture.friend], isPublic: nil,
            now: now)

        // The general query answers the same criteria when given one that changes nothing (every image is Linux).
        var general = ImageFilter()
        general.osType = .linux
        #expect(!general.constrainsOnlyStatus && ImageFilter().constrainsOnlyStatus)
        for (offset, limit) in [(0, 10), (0, 2), (2, 2), (4, 2), (6, 2), (10, 2)] {
            let fast = try await store.customImages(
                in: region, scope: .sharedWithViewer, viewer: fixture.friend, filter: ImageFilter(), offset: offset, limit: limit, now: now)
            let slow = try await store.customImages(
                in: region, scope: .sharedWithViewer, viewer: fixture.friend, filter: general, offset: offset, limit: limit, now: now)
            #expect(fast.totalCount == 6 && slow.totalCount == 6)
            #expect(fast.images == slow.images, "offset \(offset), limit \(limit)")
        }
        let all = try await store.customImages(
            in: region, scope: .sharedWithViewer, viewer: fixture.friend, filter: ImageFilter(), offset: 0, limit: 10, now: now)
        #expect(Set(all.images.map(\.id)) == Set(shared).subtracting([shared[2]]))
        // Asking for a status no shared image has finds nothing.
        let creating = try await store.customImages(
            in: region, scope: .sharedWithViewer, viewer: fixture.friend, filter: ImageFilter(statuses: [.creating]), offset: 0,
            limit: 10, now: now)
        #expect(creating.totalCount == 0 && creating.images.isEmpty)
        let stranger = try await store.customImages(
            in: region, scope: .sharedWithViewer, viewer: fixture.stranger, filter: ImageFilter(), offset: 0, limit: 10, now: now)
        #expect(stranger.images.map(\.id) == [shared[2]])
    }
}
