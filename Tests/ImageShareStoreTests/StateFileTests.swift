import Foundation
import ImageShareCore
import ImageShareStore
import ImageShareTestSupport
import Testing

/// State files: what `serve --fixtures` loads and `state export` writes.
@Suite("store: state files (fixtures, export and import)")
struct StateFileTests {
    let now = StoreFixture.now
    let region = StoreFixture.region

    static let owner = "1000000000000001"
    static let friend = "1000000000000002"

    /// A hand-written fixture: two accounts with known keys, an image shared with the friend, an instance of it.
    static func fixture(shares: [String] = [friend], imageRegion: String = "cn-hangzhou", extra: String = "") -> [UInt8] {
        let shareRows = shares.map { #"{"image_id": "m-fixture0000000000001", "account_id": "\#($0)"}"# }.joined(separator: ", ")
        return Array(
            """
            {
              "format": "imageshare-state/1",
              "accounts": [{"id": "\(owner)", "name": "owner"}, {"id": "\(friend)", "name": "friend"}],
              "access_keys": [
                {"id": "LTAIownerkey000001", "account_id": "\(owner)", "secret": "owner-secret-0001"},
                {"id": "LTAIfriendkey00002", "account_id": "\(friend)", "secret": "friend-secret-0002"}
              ],
              "images": [{"id": "m-fixture0000000000001", "region_id": "\(imageRegion)", "owner_id": "\(owner)", "name": "golden"}],
              "image_shares": [\(shareRows)],
              "instances": [{"id": "i-fixture0000000000001", "region_id": "cn-hangzhou", "owner_id": "\(friend)",
                             "image_id": "m-fixture0000000000001", "created_at": "2026-01-02T03:04:05Z"}]\(extra)
            }
            """.utf8)
    }

    @Test("a hand-written fixture gives accounts that sign, a shared image, and an instance with its system disk", arguments: StoreEngine.available)
    func handWritten(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        try await store.importState(Self.fixture(), now: now)
        #expect(try await store.accessKey(id: "LTAIownerkey000001")?.secret == "owner-secret-0001")
        let image = try #require(try await store.customImage(id: "m-fixture0000000000001", in: region, viewer: Self.friend, now: now))
        #expect(image.isSharedWithViewer && image.image.status == .available && image.image.shareCount == 1)
        let shared = try await store.customImages(
            in: region, scope: .sharedWithViewer, viewer: Self.friend, filter: ImageFilter(), offset: 0, limit: 10, now: now)
        #expect(shared.images.map(\.id) == ["m-fixture0000000000001"])
        let instance = try #require(try await store.instance(id: "i-fixture0000000000001", ownerId: Self.friend))
        #expect(instance.status == .running)
        let disks = try await store.disks(in: region, ownerId: Self.friend, filter: DiskFilter(type: "system"), offset: 0, limit: 10)
        #expect(disks.disks.map(\.instanceId) == ["i-fixture0000000000001"])
        // Sharing rules hold on what was imported: the owner may unshare, and then delete.
        try await store.modifySharePermission(
            imageId: "m-fixture0000000000001", regionId: region, ownerId: Self.owner, add: [], remove: [Self.friend], isPublic: nil, now: now)
        #expect(try await store.customImage(id: "m-fixture0000000000001", in: region, viewer: Self.friend, now: now)?.isSharedWithViewer == false)
    }

    @Test("an export imported into another store (another key) gives the same answers", arguments: StoreEngine.available)
    func roundTrip(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(store: engine.makeStore())
        let image = try await fixture.makeImage(name: "golden")
        try await fixture.store.modifySharePermission(
            imageId: image, regionId: region, ownerId: fixture.owner, add: [fixture.friend], remove: [], isPublic: nil, now: now)
        let exported = try await fixture.store.exportState()

        let other = try await engine.makeStore()
        try await other.importState(exported, now: now.addingTimeInterval(3_600))
        #expect(try await other.exportState() == exported)
        let key = try #require(try await fixture.store.accessKeys(accountId: fixture.friend).first)
        #expect(try await other.accessKey(id: key.id)?.secret == key.secret)
        let page = try await other.sharePermissions(imageId: image, regionId: region, ownerId: fixture.owner, offset: 0, limit: 50)
        #expect(page.accounts.map(\.accountId) == [fixture.friend])
        let original = try #require(try await fixture.store.customImage(id: image, in: region, viewer: fixture.owner, now: now))
        #expect(try await other.customImage(id: image, in: region, viewer: fixture.owner, now: now)?.image == original.image)
    }

    @Test("a file that breaks a rule is refused, naming the row, and changes nothing", arguments: StoreEngine.available)
    func refused(engine: StoreEngine) async throws {
        let store = try await engine.makeStore()
        try await store.importState(Self.fixture(), now: now)
        let before = try await store.exportState()
        let many = (1...51).map { String(2_000_000_000_000_000 + $0) }
        let manyAccounts = many.map { #"{"id": "\#($0)"}"# }.joined(separator: ", ")
        let cases: [(String, [UInt8])] = [
            ("shared with its own owner", Self.fixture(shares: [Self.owner])),
            ("account_id 1000000000000009 is not in accounts", Self.fixture(shares: ["1000000000000009"])),
            ("unknown region mars-1", Self.fixture(imageRegion: "mars-1")),
            ("more than 50", Array(String(decoding: Self.fixture(shares: many), as: UTF8.self)
                .replacingOccurrences(of: #""name": "friend"}"#, with: #""name": "friend"}, \#(manyAccounts)"#).utf8)),
            ("unknown key \"wizards\"", Self.fixture(extra: #", "wizards": []"#)),
            ("is not a column name", Self.fixture(extra: #", "image_tags": [{"image_id": "m-fixture0000000000001", "tag_key": "a", "tag_value": "b", "x; DROP": 1}]"#)),
            ("security_groups row 1", Self.fixture(extra: #", "security_groups": [{"id": "sg-1"}]"#)),
            ("\"format\"", Array(#"{"accounts": []}"#.utf8)),
            ("a JSON object", Array("accounts:\n- id: 1".utf8)),
        ]
        for (expected, file) in cases {
            do {
                try await store.importState(file, now: now)
                Issue.record("accepted a file that should fail with \(expected)")
            } catch let error as StateFileError {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        #expect(try await store.exportState() == before)
    }
}
