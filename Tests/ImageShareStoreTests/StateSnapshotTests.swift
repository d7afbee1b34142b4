import Foundation
import ImageShareCore
import ImageShareStore
import ImageShareTestSupport
import Testing

/// What the test control endpoint builds on: snapshots of the whole state, a seeded ID stream that a reset
/// starts again, and image builds that end in CreateFailed.
@Suite("store: snapshots, seeded IDs and failed builds")
struct StateSnapshotTests {
    let now = StoreFixture.now
    let region = StoreFixture.region

    /// Everything the owner and the friend can see, as IDs, share lists and instance counts.
    private func view(of fixture: StoreFixture, image: String) async throws -> [String] {
        let store = fixture.store
        let shares = try? await store.sharePermissions(imageId: image, regionId: region, ownerId: fixture.owner, offset: 0, limit: 50)
        let instances = try await store.instances(
            in: region, ownerId: fixture.owner, filter: InstanceFilter(), offset: 0, limit: 100)
        let keys = try await store.accessKeys(accountId: fixture.owner).map(\.id)
        return [
            "own=" + (try await fixture.visibleIDs(.own, to: fixture.owner)).sorted().joined(separator: ","),
            "friend=" + (try await fixture.visibleIDs(.sharedWithViewer, to: fixture.friend)).sorted().joined(separator: ","),
            "shares=" + (shares?.accounts.map(\.accountId) ?? ["gone"]).joined(separator: ","),
            "instances=\(instances.totalCount)",
            "keys=" + keys.sorted().joined(separator: ","),
            "accounts=\(try await store.accounts().count)",
        ]
    }

    @Test("a restored snapshot brings back every row and forgets what came after; used nonces stay used", arguments: StoreEngine.available)
    func snapshotRoundTrip(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let store = fixture.store
        let image = try await fixture.makeImage(name: "golden")
        try await store.modifySharePermission(
            imageId: image, regionId: region, ownerId: fixture.owner, add: [fixture.friend], remove: [], isPublic: nil, now: now)
        let ownerKey = try #require(try await store.accessKeys(accountId: fixture.owner).first?.id)
        let before = try await view(of: fixture, image: image)
        let snapshot = try await store.saveState()
        #expect(snapshot.rowCount > 10)

        // Afterwards: a second image, the share removed, the first image deleted, a new account and key, a nonce.
        let later = try await fixture.makeImage(name: "later")
        try await store.modifySharePermission(
            imageId: image, regionId: region, ownerId: fixture.owner, add: [], remove: [fixture.friend], isPublic: nil, now: now)
        try await store.deleteImage(imageId: image, regionId: region, ownerId: fixture.owner, force: true, now: now)
        _ = try await store.createAccount(name: "newcomer", now: now)
        let key = try #require(try await store.createAccessKey(accountId: fixture.owner, now: now))
        #expect(try await store.claimNonce("n1", accessKeyId: ownerKey, now: now, expiresAt: now.addingTimeInterval(900)) == .claimed)
        #expect(try await view(of: fixture, image: image) != before)

        try await store.restoreState(snapshot)
        #expect(try await view(of: fixture, image: image) == before)
        #expect(try await store.customImage(id: later, in: region, viewer: fixture.owner, now: now) == nil)
        #expect(try await store.accessKey(id: key.accessKeyId) == nil)
        #expect(try await store.saveState().rowCount == snapshot.rowCount)
        // The restored image is whole: its disks, tags and share are usable again.
        let restored = try await fixture.image(image)
        #expect(restored.tags == [ResourceTag(key: "team", value: "infra")] && !restored.diskDeviceMappings.isEmpty)
        #expect(try await fixture.visibleIDs(.sharedWithViewer, to: fixture.friend) == [image])

        // Nonces are not state: a request signed after the snapshot cannot be replayed by restoring it.
        let replay = try await store.claimNonce("n1", accessKeyId: ownerKey, now: now, expiresAt: now.addingTimeInterval(900))
        #expect(replay == .alreadyUsed)
    }

    @Test("a seeded store hands out the same IDs after a reset as after its start", arguments: StoreEngine.available)
    func seededReset(engine: StoreEngine) async throws {
        let store = try await engine.makeStore(identifiers: IdentifierGenerator(seed: 2026))
        func run() async throws -> [String] {
            let fixture = try await StoreFixture(store: store)
            let image = try await fixture.makeImage()
            let account = try await store.createAccount(name: "generated", now: now).1
            return [fixture.owner, fixture.friend, image, account.accountId, account.accessKeyId, account.accessKeySecret]
        }
        let first = try await run()
        try await store.eraseEverything()
        #expect(try await run() == first)

        // A snapshot keeps the stream's position: IDs made after a restore do not repeat the restored ones.
        let snapshot = try await store.saveState()
        let next = try await store.createAccount(name: "next", now: now).1
        try await store.eraseEverything()
        try await store.restoreState(snapshot)
        #expect(try await store.createAccount(name: "next", now: now).1 == next)
    }

    @Test("a failed build reads Creating until its time, then CreateFailed: never shared, launched or copied, but deletable", arguments: StoreEngine.available)
    func failedBuild(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let store = fixture.store
        let instance = try await fixture.launch(StoreFixture.launchImage(StoreFixture.publicImage), by: fixture.owner)[0]
        var draft = NewImage(
            regionId: region, ownerId: fixture.owner, name: "broken", description: "", family: "", version: "", bootMode: "BIOS",
            architecture: nil, platform: nil, tags: [], source: .instance(instance), readyAt: now.addingTimeInterval(60))
        draft.buildFails = true
        let image = try await store.createImage(draft, quota: 100, idempotency: nil, now: now)
        #expect(try await fixture.image(image).status == .creating)
        let after = now.addingTimeInterval(61)
        #expect(try await fixture.image(image, at: after).status == .createFailed)

        await #expect(throws: ECSError.incorrectImageStatus) {
            try await store.modifySharePermission(
                imageId: image, regionId: region, ownerId: fixture.owner, add: [fixture.friend], remove: [], isPublic: nil, now: after)
        }
        await #expect(throws: ECSError.incorrectImageStatus) {
            _ = try await store.copyImage(
                ImageCopyRequest(
                    sourceImageId: image, sourceRegionId: region, callerId: fixture.owner, destinationRegionId: "cn-beijing",
                    name: nil, description: nil, tags: [], readyAt: after),
                quota: 100, idempotency: nil, now: after)
        }
        // Only the status filter that names it finds it.
        let listed = try await store.customImages(
            in: region, scope: .own, viewer: fixture.owner, filter: ImageFilter(statuses: [.createFailed]), offset: 0, limit: 10,
            now: after)
        #expect(listed.images.map(\.id) == [image])
        #expect(try await fixture.visibleIDs(.own, to: fixture.owner).isEmpty)
        try await store.deleteImage(imageId: image, regionId: region, ownerId: fixture.owner, force: false, now: after)
        #expect(try await store.customImage(id: image, in: region, viewer: fixture.owner, now: after) == nil)
    }
}
