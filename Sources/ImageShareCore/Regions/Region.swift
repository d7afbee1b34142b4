import Synchronization

/// An ECS region: images, instances and shares live in exactly one.
public struct Region: Sendable, Equatable {
    public let id: String
    /// The Chinese display name (ECS's default `AcceptLanguage` is zh-CN).
    public let localNameZh: String
    public let localNameEn: String

    public init(id: String, localNameZh: String, localNameEn: String) {
        self.id = id
        self.localNameZh = localNameZh
        self.localNameEn = localNameEn
    }

    /// Zones are named after their region and a letter: `cn-hangzhou-b`, or `ap-southeast-1a` where the
    /// region's name ends in a digit.
    private var zonePrefix: String { id.last?.isNumber == true ? id : id + "-" }

    /// The zone a launch lands in when it names none.
    public var defaultZoneId: String { zonePrefix + "a" }

    /// The zone letters every region here offers (a large region such as cn-hangzhou has about as many).
    public static let zoneLetters = Array("abcdefghijk")

    /// The region's zones, in DescribeZones order.
    public var zoneIds: [String] { Self.zoneLetters.map { zonePrefix + String($0) } }

    /// Whether `zoneId` names a zone of this region.
    public func hasZone(_ zoneId: String) -> Bool {
        guard zoneId.hasPrefix(zonePrefix), zoneId.utf8.count == zonePrefix.utf8.count + 1, let letter = zoneId.last else {
            return false
        }
        return Self.zoneLetters.contains(letter)
    }

    /// A zone's display name: `华东1（杭州） 可用区B` or `China (Hangzhou) Zone B`.
    public func zoneLocalName(_ zoneId: String, acceptLanguage: String?) -> String {
        let letter = zoneId.last.map { String($0).uppercased() } ?? ""
        let name = localName(acceptLanguage: acceptLanguage)
        return name == localNameZh ? "\(name) 可用区\(letter)" : "\(name) Zone \(letter)"
    }

    /// The public ECS endpoint of this region, as DescribeRegions reports it.
    public var endpoint: String { "ecs.\(id).aliyuncs.com" }

    /// The display name in the requested language (`en-US`, `ja` … fall back to English; default Chinese).
    public func localName(acceptLanguage: String?) -> String {
        guard let language = acceptLanguage?.lowercased(), !language.isEmpty, !language.hasPrefix("zh") else {
            return localNameZh
        }
        return localNameEn
    }
}

/// The regions a server offers, in DescribeRegions order.
///
/// A test may narrow the offer while the server runs (the control endpoint's region list) to any of the
/// regions the server started with; resources in a region no longer offered stay stored but unreachable.
public final class RegionCatalogue: Sendable {
    /// The regions the server started with: what `offer` may choose from, and what a reset brings back.
    public let startRegions: [Region]
    private let offered: Mutex<Offer>

    private struct Offer {
        let regions: [Region]
        let byID: [String: Region]
        init(_ regions: [Region]) {
            self.regions = regions
            byID = Dictionary(regions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    public init(regions: [Region]) {
        startRegions = regions
        offered = Mutex(Offer(regions))
    }

    /// The regions offered now.
    public var regions: [Region] { offered.withLock { $0.regions } }

    public func region(id: String) -> Region? { offered.withLock { $0.byID[id] } }

    /// Offers exactly `ids`, in that order; each must be a start region and at least one is needed.
    public func offer(_ ids: [String]) -> Result<[Region], UnknownRegion> {
        guard !ids.isEmpty else { return .failure(UnknownRegion(id: "")) }
        return Self.choose(ids, from: startRegions).map { chosen in
            offered.withLock { $0 = Offer(chosen) }
            return chosen
        }
    }

    /// Offers the start regions again.
    public func offerStartRegions() { offered.withLock { $0 = Offer(startRegions) } }

    /// A new catalogue of the built-in regions (each server's own: its offer can change).
    public static var builtIn: RegionCatalogue { RegionCatalogue(regions: builtInRegions) }

    /// The built-in list of common Alibaba Cloud regions.
    public static let builtInRegions = [
        Region(id: "cn-qingdao", localNameZh: "华北1（青岛）", localNameEn: "China (Qingdao)"),
        Region(id: "cn-beijing", localNameZh: "华北2（北京）", localNameEn: "China (Beijing)"),
        Region(id: "cn-zhangjiakou", localNameZh: "华北3（张家口）", localNameEn: "China (Zhangjiakou)"),
        Region(id: "cn-hangzhou", localNameZh: "华东1（杭州）", localNameEn: "China (Hangzhou)"),
        Region(id: "cn-shanghai", localNameZh: "华东2（上海）", localNameEn: "China (Shanghai)"),
        Region(id: "cn-shenzhen", localNameZh: "华南1（深圳）", localNameEn: "China (Shenzhen)"),
        Region(id: "cn-hongkong", localNameZh: "中国香港", localNameEn: "China (Hong Kong)"),
        Region(id: "ap-southeast-1", localNameZh: "新加坡", localNameEn: "Singapore"),
        Region(id: "ap-northeast-1", localNameZh: "日本（东京）", localNameEn: "Japan (Tokyo)"),
        Region(id: "eu-central-1", localNameZh: "德国（法兰克福）", localNameEn: "Germany (Frankfurt)"),
        Region(id: "us-west-1", localNameZh: "美国（硅谷）", localNameEn: "US (Silicon Valley)"),
        Region(id: "us-east-1", localNameZh: "美国（弗吉尼亚）", localNameEn: "US (Virginia)"),
    ]

    /// The built-in regions restricted to `ids`; nil names the first unknown ID instead.
    public static func builtIn(restrictedTo ids: [String]) -> Result<RegionCatalogue, UnknownRegion> {
        choose(ids, from: builtInRegions).map(RegionCatalogue.init(regions:))
    }

    /// `ids` as regions of `available`, in their order without repeats, or the first one not there.
    private static func choose(_ ids: [String], from available: [Region]) -> Result<[Region], UnknownRegion> {
        var chosen: [Region] = []
        for id in ids {
            guard let region = available.first(where: { $0.id == id }) else { return .failure(UnknownRegion(id: id)) }
            if !chosen.contains(region) { chosen.append(region) }
        }
        return .success(chosen)
    }

    /// A region ID that is not in the built-in catalogue.
    public struct UnknownRegion: Error, Sendable { public let id: String }
}
