import Foundation
import ImageShareCore
import Synchronization
import Testing

@Suite("regions and the public image catalogue")
struct CatalogueTests {
    @Test("the built-in regions include the ones the SDK examples use")
    func regions() {
        for id in ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "ap-southeast-1", "us-west-1"] {
            #expect(RegionCatalogue.builtIn.region(id: id) != nil, "missing \(id)")
        }
        #expect(RegionCatalogue.builtIn.region(id: "mars-1") == nil)
        let hangzhou = RegionCatalogue.builtIn.region(id: "cn-hangzhou")!
        #expect(hangzhou.localName(acceptLanguage: nil) == "华东1（杭州）")
        #expect(hangzhou.localName(acceptLanguage: "en-US") == "China (Hangzhou)")
        #expect(hangzhou.endpoint == "ecs.cn-hangzhou.aliyuncs.com")
    }

    @Test("restricting regions keeps order and names unknown IDs")
    func restrictRegions() throws {
        let chosen = try RegionCatalogue.builtIn(restrictedTo: ["us-west-1", "cn-hangzhou"]).get()
        #expect(chosen.regions.map(\.id) == ["us-west-1", "cn-hangzhou"])
        guard case let .failure(unknown) = RegionCatalogue.builtIn(restrictedTo: ["cn-hangzhou", "nowhere"]) else {
            Issue.record("an unknown region was accepted")
            return
        }
        #expect(unknown.id == "nowhere")
    }

    @Test("every region has the same public images, with stable snapshot IDs per region")
    func publicImages() throws {
        let catalogue = PublicImageCatalogue(regions: .builtIn)
        let hangzhou = catalogue.images(in: "cn-hangzhou")
        let shanghai = catalogue.images(in: "cn-shanghai")
        #expect(hangzhou.count >= 10)
        #expect(hangzhou.map(\.id) == shanghai.map(\.id))
        #expect(Set(hangzhou.map(\.id)).count == hangzhou.count)
        #expect(hangzhou.allSatisfy { $0.ownership == .system && $0.status == .available && $0.regionId == "cn-hangzhou" })
        let again = PublicImageCatalogue(regions: .builtIn).images(in: "cn-hangzhou")
        #expect(hangzhou.map(\.diskDeviceMappings) == again.map(\.diskDeviceMappings))
        #expect(hangzhou[0].diskDeviceMappings[0].snapshotId != shanghai[0].diskDeviceMappings[0].snapshotId)
        #expect(catalogue.image(id: hangzhou[0].id, in: "cn-hangzhou") == hangzhou[0])
        #expect(catalogue.images(in: "nowhere").isEmpty)
    }
}

@Suite("image filters and paging")
struct ImageFilterTests {
    let images = PublicImageCatalogue(regions: .builtIn).images(in: "cn-hangzhou")

    @Test("attribute criteria narrow the catalogue")
    func attributes() {
        #expect(images.filter(ImageFilter(osType: .windows).matchesAttributes(of:)).count == 2)
        #expect(images.filter(ImageFilter(architecture: .arm64).matchesAttributes(of:)).count == 2)
        #expect(images.filter(ImageFilter(nameContains: "UBUNTU_22").matchesAttributes(of:)).count == 2)
        #expect(images.filter(ImageFilter(statuses: [.creating]).matchesAttributes(of:)).isEmpty)
        let two = Set(images.prefix(2).map(\.id))
        #expect(Set(images.filter(ImageFilter(imageIds: two).matchesAttributes(of:)).map(\.id)) == two)
    }

    @Test("system images take part unless another owner population is asked for")
    func ownerAlias() {
        #expect(ImageFilter().includesSystemImages)
        #expect(ImageFilter(ownerAlias: .system).includesSystemImages)
        #expect(!ImageFilter(ownerAlias: .own).includesSystemImages)
        #expect(!ImageFilter(ownerAlias: .others).includesSystemImages)
        #expect(!ImageFilter(ownerId: "1234567890123456").includesSystemImages)
    }

    @Test("a page starts after the pages before it")
    func paging() {
        #expect(PageRequest(number: 1, size: 5).offset == 0)
        #expect(PageRequest(number: 3, size: 5).offset == 10)
    }
}

@Suite("identifiers")
struct IdentifierTests {
    @Test("generated account IDs are 16 digits without a leading zero")
    func accountIDs() {
        let generator = IdentifierGenerator()
        for _ in 0..<200 { #expect(Account.isWellFormedID(generator.accountID())) }
        #expect(!Account.isWellFormedID("0123456789012345"))
        #expect(!Account.isWellFormedID("123456789012345"))
        #expect(!Account.isWellFormedID("12345678901234a6"))
        #expect(generator.accessKeyID().hasPrefix("LTAI"))
        #expect(generator.accessKeySecret().count == 30)
    }

    @Test("resource IDs keep ECS prefixes and 20 lower-case alphanumerics")
    func resourceIDs() {
        for generator in [IdentifierGenerator(), IdentifierGenerator(seed: 7)] {
            let id = generator.resourceID(prefix: "m-")
            #expect(id.hasPrefix("m-") && id.count == 22)
            #expect(id.dropFirst(2).allSatisfy { $0.isLowercase || $0.isNumber })
        }
        #expect(ResourceID.deterministic(prefix: "s-", seed: "a") == ResourceID.deterministic(prefix: "s-", seed: "a"))
        #expect(ResourceID.deterministic(prefix: "s-", seed: "a") != ResourceID.deterministic(prefix: "s-", seed: "b"))
    }
}

extension IdentifierTests {
    /// One of every identifier, in a fixed order.
    private static func draw(_ generator: IdentifierGenerator) -> [String] {
        [
            generator.resourceID(prefix: "m-"), generator.accountID(), generator.accessKeyID(), generator.accessKeySecret(),
            generator.requestID(), generator.resourceID(prefix: "i-"),
        ]
    }

    @Test("a seed gives the same identifiers for the same draws, another seed or no seed different ones")
    func seeded() {
        let first = Self.draw(IdentifierGenerator(seed: 42))
        #expect(first == Self.draw(IdentifierGenerator(seed: 42)))
        #expect(first != Self.draw(IdentifierGenerator(seed: 43)))
        #expect(Self.draw(IdentifierGenerator()) != Self.draw(IdentifierGenerator()))
        #expect(Account.isWellFormedID(first[1]))
        #expect(first[2].hasPrefix("LTAI") && first[2].count == 24 && first[3].count == 30)
    }

    @Test("a restarted stream repeats from its seed; a saved position continues where it stood")
    func restartAndPosition() {
        let generator = IdentifierGenerator(seed: 9)
        let first = Self.draw(generator)
        let saved = generator.position
        let second = Self.draw(generator)
        #expect(first != second)
        generator.restart()
        #expect(Self.draw(generator) == first)
        generator.position = saved
        #expect(Self.draw(generator) == second)
        #expect(IdentifierGenerator().position == nil)
    }

    @Test("RequestIds are upper-case version-4 UUIDs")
    func requestIDs() {
        for generator in [IdentifierGenerator(), IdentifierGenerator(seed: 1)] {
            let id = generator.requestID()
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil && id == id.uppercased())
            #expect(Array(id)[14] == "4" && "89AB".contains(Array(id)[19]))
        }
    }
}

@Suite("Token buckets")
struct TokenBucketTests {
    let start = Date(timeIntervalSince1970: 1_000)

    @Test("a full bucket gives its burst, then refills at its rate, never beyond the burst")
    func refill() throws {
        let limit = try #require(RateLimit(rate: 4, burst: 2))
        var bucket = TokenBucket.full(limit, at: start)
        #expect(bucket.take(limit, now: start) == .allowed)
        #expect(bucket.take(limit, now: start) == .allowed)
        #expect(bucket.take(limit, now: start) == .refused(retryAfterMilliseconds: 250))
        #expect(bucket.take(limit, now: start.addingTimeInterval(0.25)) == .allowed)
        // An hour idle refills to the burst only.
        let later = start.addingTimeInterval(3_600)
        #expect(bucket.take(limit, now: later) == .allowed)
        #expect(bucket.take(limit, now: later) == .allowed)
        #expect(bucket.take(limit, now: later) != .allowed)
    }

    @Test("a clock that goes backwards refills nothing")
    func backwards() throws {
        let limit = try #require(RateLimit(rate: 1, burst: 1))
        var bucket = TokenBucket.full(limit, at: start)
        #expect(bucket.take(limit, now: start) == .allowed)
        #expect(bucket.take(limit, now: start.addingTimeInterval(-10)) == .refused(retryAfterMilliseconds: 1_000))
    }

    @Test("RATE and RATE/BURST parse; nonsense does not")
    func parsing() {
        #expect(RateLimit(parsing: "10") == RateLimit(rate: 10, burst: 10))
        #expect(RateLimit(parsing: "0.5/3") == RateLimit(rate: 0.5, burst: 3))
        for bad in ["", "0", "-1", "x", "1/0", "1/", "/2", "nan", "inf", "1/2/3", "2000000"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
    }
}

@Suite("store latency hook")
struct StoreLatencyHookTests {
    /// The listener was once kept so that every report wrapped it in one more thunk: reports got slower as a
    /// server ran, and the nested calls grew deeper with every one. On a thread with a 256 KiB stack that code
    /// overflowed it within a few thousand reports; 50,000 must go through.
    @Test("every report reaches the listener once, however many came before")
    func manyReports() {
        let hook = StoreLatencyHook()
        let received = Mutex(0)
        hook.listen { _, _ in received.withLock { $0 += 1 } }
        let finished = DispatchSemaphore(value: 0)
        let reporter = Thread {
            for _ in 0..<50_000 { hook.record(.read, .microseconds(5)) }
            finished.signal()
        }
        reporter.stackSize = 256 << 10
        reporter.start()
        finished.wait()
        #expect(received.withLock { $0 } == 50_000)
    }
}
