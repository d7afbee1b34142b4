import Foundation
import ImageShareCore
import ImageShareStore
import ImageShareTestSupport
import Testing

/// A store with accounts and a running instance to make images from.
struct StoreFixture {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)
    static let region = "cn-hangzhou"
    static let publicImage = PublicImageCatalogue(regions: .builtIn).images(in: region)
        .first { $0.id.hasPrefix("ubuntu_22_04_x64") }!

    let store: SQLStore
    let owner: String
    let friend: String
    let stranger: String

    init(store: SQLStore? = nil) async throws {
        if let store { self.store = store } else { self.store = try await SQLStore.inMemory() }
        owner = try await self.store.createAccount(name: "owner", now: Self.now).0.id
        friend = try await self.store.createAccount(name: "friend", now: Self.now).0.id
        stranger = try await self.store.createAccount(name: "stranger", now: Self.now).0.id
    }

    static func launchImage(_ image: Image) -> LaunchImage {
        if case let .account(owner) = image.ownership {
            return LaunchImage(id: image.id, os: image.osProfile, sizeGiB: image.sizeGiB, ownerId: owner)
        }
        return LaunchImage(id: image.id, os: image.osProfile, sizeGiB: image.sizeGiB, ownerId: nil)
    }

    func launch(
        _ image: LaunchImage, by account: String, amount: Int = 1, region: String = region, token: IdempotencyKey? = nil,
        quota: Int = 1_000
    ) async throws -> [String]
    {
        try await store.launchInstances(
            LaunchRequest(
                regionId: region, zoneId: "\(region)-a", ownerId: account, image: image,
                instanceType: InstanceType.catalogue["ecs.g7.large"]!, amount: amount, name: nil, hostName: nil,
                description: "", systemDiskCategory: "cloud_essd", systemDiskSizeGiB: max(20, image.sizeGiB),
                dataDisks: [DataDiskRequest(sizeGiB: 40, category: "cloud_essd", snapshotId: nil, deleteWithInstance: false)],
                securityGroupIds: [], vSwitchId: "", chargeType: "PostPaid", tags: [], startRunning: true),
            quota: quota, idempotency: token, now: Self.now)
    }

    /// An Available custom image of `owner`, made from a fresh instance.
    func makeImage(name: String? = nil, region: String = region, readyAt: Date = now) async throws -> String {
        let instance = try await launch(Self.launchImage(Self.publicImage), by: owner, region: region)[0]
        return try await store.createImage(
            NewImage(
                regionId: region, ownerId: owner, name: name, description: "", family: "", version: "", bootMode: "BIOS",
                architecture: nil, platform: nil, tags: [ResourceTag(key: "team", value: "infra")], source: .instance(instance),
                readyAt: readyAt),
            quota: 100, idempotency: nil, now: Self.now)
    }

    func image(_ id: String, region: String = region, at date: Date = now) async throws -> Image {
        try #require(try await store.customImage(id: id, in: region, viewer: owner, now: date)?.image)
    }

    func visibleIDs(_ scope: CustomImageScope, to viewer: String, region: String = region) async throws -> Set<String> {
        Set(try await store.customImages(
            in: region, scope: scope, viewer: viewer, filter: ImageFilter(), offset: 0, limit: 100, now: Self.now
        ).images.map(\.id))
    }
}

@Suite("store: images, sharing and visibility")
struct ImageStoreTests {
    let now = StoreFixture.now

    @Test("an image made from an instance snapshots every disk and inherits the OS", arguments: StoreEngine.available)
    func createFromInstance(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage(name: "golden")
        let image = try await fixture.image(id)
        #expect(image.name == "golden")
        #expect(image.ownership == .account(fixture.owner))
        #expect(image.status == .available)
        #expect(image.osType == .linux && image.platform == "Ubuntu")
        #expect(image.diskDeviceMappings.map(\.type) == ["system", "data"])
        #expect(image.diskDeviceMappings.map(\.device) == ["/dev/xvda", "/dev/xvdb"])
        #expect(image.tags == [ResourceTag(key: "team", value: "infra")])
        let snapshots = try await fixture.store.snapshots(
            in: StoreFixture.region, ownerId: fixture.owner, filter: SnapshotFilter(), offset: 0, limit: 10)
        #expect(Set(snapshots.snapshots.map(\.id)) == Set(image.diskDeviceMappings.map(\.snapshotId)))
        #expect(snapshots.snapshots.allSatisfy { $0.usage == "image" })
    }

    @Test("a Creating image becomes Available by time alone, with rising progress", arguments: StoreEngine.available)
    func creatingBecomesAvailable(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage(readyAt: now.addingTimeInterval(100))
        let early = try await fixture.image(id, at: now.addingTimeInterval(50))
        #expect(early.status == .creating)
        #expect(early.progress == 50)
        #expect(try await fixture.image(id, at: now.addingTimeInterval(100)).status == .available)
        // Not shareable while Creating.
        await #expect(throws: ECSError.incorrectImageStatus) {
            try await fixture.store.modifySharePermission(
                imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
                isPublic: nil, now: now)
        }
    }

    @Test("names are unique per owner and region", arguments: StoreEngine.available)
    func uniqueNames(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        _ = try await fixture.makeImage(name: "golden")
        await #expect(throws: ECSError.imageNameDuplicated) { try await fixture.makeImage(name: "golden") }
        _ = try await fixture.makeImage(name: "golden", region: "cn-shanghai")
    }

    @Test("S2: the quota counts owned images per region; shared images never count for the recipient", arguments: StoreEngine.available)
    func quota(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let shared = try await fixture.makeImage()
        try await fixture.store.modifySharePermission(
            imageId: shared, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        let friendInstance = try await fixture.launch(StoreFixture.launchImage(StoreFixture.publicImage), by: fixture.friend)[0]
        let request = NewImage(
            regionId: StoreFixture.region, ownerId: fixture.friend, name: nil, description: "", family: "", version: "",
            bootMode: "BIOS", architecture: nil, platform: nil, tags: [], source: .instance(friendInstance), readyAt: now)
        _ = try await fixture.store.createImage(request, quota: 1, idempotency: nil, now: now)
        await #expect(throws: ECSError.imageQuotaExceeded) {
            try await fixture.store.createImage(request, quota: 1, idempotency: nil, now: now)
        }
    }

    @Test("S1, S12: sharing makes an image visible to the recipient in its region only", arguments: StoreEngine.available)
    func visibility(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        #expect(try await fixture.visibleIDs(.sharedWithViewer, to: fixture.friend).isEmpty)
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        #expect(try await fixture.visibleIDs(.sharedWithViewer, to: fixture.friend) == [id])
        #expect(try await fixture.visibleIDs(.ownAndShared, to: fixture.friend) == [id])
        #expect(try await fixture.visibleIDs(.own, to: fixture.friend).isEmpty)
        #expect(try await fixture.visibleIDs(.own, to: fixture.owner) == [id])
        #expect(try await fixture.visibleIDs(.sharedWithViewer, to: fixture.stranger).isEmpty)
        #expect(try await fixture.visibleIDs(.community, to: fixture.stranger).isEmpty)
        #expect(try await fixture.visibleIDs(.sharedWithViewer, to: fixture.friend, region: "cn-shanghai").isEmpty)
        #expect(try await fixture.image(id).shareCount == 1)
        #expect(try await fixture.store.customImage(id: id, in: StoreFixture.region, viewer: fixture.friend, now: now)?.isSharedWithViewer == true)
        #expect(try await fixture.store.customImage(id: id, in: StoreFixture.region, viewer: fixture.stranger, now: now)?.isSharedWithViewer == false)

        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [], remove: [], isPublic: true, now: now)
        #expect(try await fixture.visibleIDs(.community, to: fixture.stranger) == [id])
        #expect(try await fixture.visibleIDs(.community, to: fixture.owner).isEmpty)
    }

    @Test("S3: only the owner can change or read sharing, and only in the image's region", arguments: StoreEngine.available)
    func ownerOnly(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        await #expect(throws: ECSError.imageNotShareable) {
            try await fixture.store.modifySharePermission(
                imageId: id, regionId: StoreFixture.region, ownerId: fixture.friend, add: [fixture.stranger], remove: [],
                isPublic: nil, now: now)
        }
        await #expect(throws: ECSError.imageNotShareable) {
            try await fixture.store.sharePermissions(
                imageId: id, regionId: StoreFixture.region, ownerId: fixture.friend, offset: 0, limit: 10)
        }
        await #expect(throws: ECSError.imageNotShareable) {
            try await fixture.store.modifySharePermission(
                imageId: id, regionId: "cn-shanghai", ownerId: fixture.owner, add: [fixture.stranger], remove: [],
                isPublic: nil, now: now)
        }
    }

    @Test("share permissions page in SharedTime order and report the total", arguments: StoreEngine.available)
    func sharePermissionPaging(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        var accounts: [String] = []
        for index in 0..<12 {
            let account = try await fixture.store.createAccount(name: "r\(index)", now: now).0.id
            accounts.append(account)
            try await fixture.store.modifySharePermission(
                imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [account], remove: [],
                isPublic: nil, now: now.addingTimeInterval(Double(index)))
        }
        let first = try await fixture.store.sharePermissions(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, offset: 0, limit: 5)
        let last = try await fixture.store.sharePermissions(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, offset: 10, limit: 5)
        #expect(first.totalCount == 12)
        #expect(first.accounts.map(\.accountId) == Array(accounts.prefix(5)))
        #expect(last.accounts.map(\.accountId) == Array(accounts.suffix(2)))
        #expect(first.accounts[1].sharedAt == now.addingTimeInterval(1))
    }

    @Test("S4: the 50-account cap holds when many writers race, and a rejected call changes nothing", arguments: StoreEngine.available)
    func raceForTheCap(engine: StoreEngine) async throws {
        // A second store on the same database stands in for a second process or server.
        let (first, other, cleanup) = try await engine.makeStorePair()
        defer { cleanup() }
        let fixture = try await StoreFixture(store: first)
        let id = try await fixture.makeImage()
        var recipients: [String] = []
        for index in 0..<60 { recipients.append(try await fixture.store.createAccount(name: "r\(index)", now: now).0.id) }
        let batches = stride(from: 0, to: 60, by: 10).map { Array(recipients[$0..<($0 + 10)]) }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for (index, batch) in batches.enumerated() {
                let store = index.isMultiple(of: 2) ? fixture.store : other
                group.addTask {
                    do {
                        try await store.modifySharePermission(
                            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: batch, remove: [],
                            isPublic: nil, now: StoreFixture.now)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 5)
        let page = try await fixture.store.sharePermissions(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, offset: 0, limit: 100)
        #expect(page.totalCount == 50)
        #expect(page.accounts.count == 50)
        // Every batch is either wholly in or wholly out.
        let shared = Set(page.accounts.map(\.accountId))
        #expect(batches.filter { Set($0).isSubset(of: shared) }.count == 5)
        #expect(batches.filter { Set($0).isDisjoint(with: shared) }.count == 1)
    }

    @Test("S7, S8: delete is refused while shared or in use; afterwards the image is gone for everyone", arguments: StoreEngine.available)
    func deleteRules(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        _ = try await fixture.launch(StoreFixture.launchImage(try await fixture.image(id)), by: fixture.friend)
        await #expect(throws: ECSError.imageUseShared) {
            try await fixture.store.deleteImage(imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, force: true, now: now)
        }
        await #expect(throws: ECSError.imageNotFound) {
            try await fixture.store.deleteImage(imageId: id, regionId: StoreFixture.region, ownerId: fixture.friend, force: true, now: now)
        }
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [], remove: [fixture.friend],
            isPublic: nil, now: now)
        // The friend's instance still uses it, but only the owner's own instances hold an image back.
        #expect(try await fixture.image(id).inUse)
        let own = try await fixture.launch(StoreFixture.launchImage(try await fixture.image(id)), by: fixture.owner)[0]
        await #expect(throws: ECSError.imageUsingByInstance) {
            try await fixture.store.deleteImage(imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, force: false, now: now)
        }
        try await fixture.store.deleteInstance(id: own, ownerId: fixture.owner, force: true)
        try await fixture.store.deleteImage(imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, force: false, now: now)
        #expect(try await fixture.store.customImage(id: id, in: StoreFixture.region, viewer: fixture.owner, now: now) == nil)
        #expect(try await fixture.visibleIDs(.ownAndShared, to: fixture.owner).isEmpty)
        // Its snapshots stay.
        let snapshots = try await fixture.store.snapshots(
            in: StoreFixture.region, ownerId: fixture.owner, filter: SnapshotFilter(), offset: 0, limit: 10)
        #expect(snapshots.totalCount == 2)
    }

    @Test("S8, S11: a launch re-checks inside its transaction that the image is still usable", arguments: StoreEngine.available)
    func launchRechecks(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        let launchable = StoreFixture.launchImage(try await fixture.image(id))
        await #expect(throws: ECSError.imageNotFound) { try await fixture.launch(launchable, by: fixture.friend) }
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        let instance = try await fixture.launch(launchable, by: fixture.friend)[0]
        try await fixture.store.transitionInstance(id: instance, ownerId: fixture.friend, from: [.running], to: .stopped, now: now)
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [], remove: [fixture.friend],
            isPublic: nil, now: now)
        await #expect(throws: ECSError.imageNotFound) { try await fixture.launch(launchable, by: fixture.friend) }
        await #expect(throws: ECSError.imageNotFound) {
            try await fixture.store.replaceSystemDisk(
                instanceId: instance, ownerId: fixture.friend, image: launchable, sizeGiB: nil, idempotency: nil, now: now)
        }
        // Its own instance keeps working.
        try await fixture.store.transitionInstance(id: instance, ownerId: fixture.friend, from: [.stopped], to: .running, now: now)
    }

    @Test("ClientToken: the same request returns the first result, a different one fails", arguments: StoreEngine.available)
    func idempotency(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let public_ = StoreFixture.launchImage(StoreFixture.publicImage)
        let key = IdempotencyKey(accountId: fixture.owner, action: "RunInstances", token: "t-1", fingerprint: "A")
        let first = try await fixture.launch(public_, by: fixture.owner, amount: 2, token: key)
        let again = try await fixture.launch(public_, by: fixture.owner, amount: 2, token: key)
        #expect(first == again)
        let changed = IdempotencyKey(accountId: fixture.owner, action: "RunInstances", token: "t-1", fingerprint: "B")
        await #expect(throws: ECSError.idempotentParameterMismatch) {
            try await fixture.launch(public_, by: fixture.owner, amount: 2, token: changed)
        }
        let instances = try await fixture.store.instances(
            in: StoreFixture.region, ownerId: fixture.owner, filter: InstanceFilter(), offset: 0, limit: 10)
        #expect(instances.totalCount == 2)
    }

    @Test("copies: own images to any region, shared ones in their region only; a running copy can be cancelled", arguments: StoreEngine.available)
    func copies(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage(name: "golden")
        let copy = try await fixture.store.copyImage(
            ImageCopyRequest(
                sourceImageId: id, sourceRegionId: StoreFixture.region, callerId: fixture.owner, destinationRegionId: "cn-shanghai",
                name: nil, description: nil, tags: [], readyAt: now.addingTimeInterval(60)),
            quota: 100, idempotency: nil, now: now)
        let copied = try await fixture.image(copy, region: "cn-shanghai")
        #expect(copied.status == .creating)
        #expect(copied.isCopied && copied.copiedFrom == id)
        #expect(copied.name == "golden")
        await #expect(throws: ECSError.imageCopying) {
            try await fixture.store.deleteImage(imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, force: false, now: now)
        }
        await #expect(throws: ECSError.imageIsCreating) {
            try await fixture.store.deleteImage(imageId: copy, regionId: "cn-shanghai", ownerId: fixture.owner, force: false, now: now)
        }
        try await fixture.store.cancelCopy(imageId: copy, regionId: "cn-shanghai", callerId: fixture.owner, now: now)
        #expect(try await fixture.store.customImage(id: copy, in: "cn-shanghai", viewer: fixture.owner, now: now) == nil)
        await #expect(throws: ECSError.imageNotFromCopy) {
            try await fixture.store.cancelCopy(imageId: id, regionId: StoreFixture.region, callerId: fixture.owner, now: now)
        }

        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        let request = { (destination: String) in
            ImageCopyRequest(
                sourceImageId: id, sourceRegionId: StoreFixture.region, callerId: fixture.friend, destinationRegionId: destination,
                name: nil, description: nil, tags: [], readyAt: now)
        }
        await #expect(throws: ECSError.sameRegionOnly) {
            try await fixture.store.copyImage(request("cn-shanghai"), quota: 100, idempotency: nil, now: now)
        }
        let friendsCopy = try await fixture.store.copyImage(request(StoreFixture.region), quota: 100, idempotency: nil, now: now)
        #expect(try await fixture.image(friendsCopy).ownership == .account(fixture.friend))
    }

    @Test("deprecating needs an unshared image; deprecated images stay launchable", arguments: StoreEngine.available)
    func deprecate(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [fixture.friend], remove: [],
            isPublic: nil, now: now)
        await #expect(throws: ECSError.imageUseShared) {
            try await fixture.store.modifyImageAttributes(
                imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner,
                changes: ImageAttributeChanges(status: .deprecated), now: now)
        }
        try await fixture.store.modifySharePermission(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner, add: [], remove: [fixture.friend],
            isPublic: nil, now: now)
        try await fixture.store.modifyImageAttributes(
            imageId: id, regionId: StoreFixture.region, ownerId: fixture.owner,
            changes: ImageAttributeChanges(name: "renamed", status: .deprecated), now: now)
        let image = try await fixture.image(id)
        #expect(image.status == .deprecated && image.name == "renamed")
        _ = try await fixture.launch(StoreFixture.launchImage(image), by: fixture.owner)
    }

    @Test("replacing a system disk makes a new disk that remembers the new image", arguments: StoreEngine.available)
    func replaceSystemDisk(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let id = try await fixture.makeImage()
        let instance = try await fixture.launch(StoreFixture.launchImage(StoreFixture.publicImage), by: fixture.owner)[0]
        let launchable = StoreFixture.launchImage(try await fixture.image(id))
        await #expect(throws: ECSError.incorrectInstanceStatus) {
            try await fixture.store.replaceSystemDisk(
                instanceId: instance, ownerId: fixture.owner, image: launchable, sizeGiB: nil, idempotency: nil, now: now)
        }
        try await fixture.store.transitionInstance(id: instance, ownerId: fixture.owner, from: [.running], to: .stopped, now: now)
        let before = try await fixture.store.disks(
            in: StoreFixture.region, ownerId: fixture.owner, filter: DiskFilter(instanceId: instance, type: "system"), offset: 0, limit: 10)
        let diskId = try await fixture.store.replaceSystemDisk(
            instanceId: instance, ownerId: fixture.owner, image: launchable, sizeGiB: nil, idempotency: nil, now: now)
        #expect(diskId != before.disks[0].id)
        let disk = try #require(try await fixture.store.disk(id: diskId, ownerId: fixture.owner))
        #expect(disk.imageId == id && disk.imageOwnerId == fixture.owner && disk.type == "system")
        #expect(try await fixture.store.instance(id: instance, ownerId: fixture.owner)?.imageId == id)
        #expect(try await fixture.store.disk(id: before.disks[0].id, ownerId: fixture.owner) == nil)
    }

    @Test("deleting an instance releases delete-with-instance disks and detaches the rest", arguments: StoreEngine.available)
    func deleteInstance(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let instance = try await fixture.launch(StoreFixture.launchImage(StoreFixture.publicImage), by: fixture.owner)[0]
        await #expect(throws: ECSError.incorrectInstanceStatus) {
            try await fixture.store.deleteInstance(id: instance, ownerId: fixture.owner, force: false)
        }
        await #expect(throws: ECSError.instanceNotFound) {
            try await fixture.store.deleteInstance(id: instance, ownerId: fixture.friend, force: true)
        }
        try await fixture.store.deleteInstance(id: instance, ownerId: fixture.owner, force: true)
        let disks = try await fixture.store.disks(
            in: StoreFixture.region, ownerId: fixture.owner, filter: DiskFilter(), offset: 0, limit: 10).disks
        #expect(disks.count == 1)
        #expect(disks[0].type == "data" && disks[0].instanceId == nil && disks[0].status == "Available")
    }
}
