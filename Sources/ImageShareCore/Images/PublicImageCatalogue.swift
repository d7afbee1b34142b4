import Foundation

/// The public (system) images every region offers, modelled on Alibaba's own `*_alibase_*.vhd` images.
public struct PublicImageCatalogue: Sendable {
    private let imagesByRegion: [String: [Image]]
    private let imagesByID: [String: [String: Image]]

    /// Builds the catalogue for every region the server started with.
    public init(regions: RegionCatalogue) {
        var byRegion: [String: [Image]] = [:]
        for region in regions.startRegions {
            byRegion[region.id] = Self.templates.map { $0.image(in: region.id) }
        }
        imagesByRegion = byRegion
        imagesByID = byRegion.mapValues { images in
            Dictionary(images.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// All public images of a region, newest first.
    public func images(in regionId: String) -> [Image] { imagesByRegion[regionId] ?? [] }

    /// The public image with this ID in this region, or nil.
    public func image(id: String, in regionId: String) -> Image? { imagesByID[regionId]?[id] }

    private struct Template {
        let id: String
        let osName: String
        let osNameEn: String
        let platform: String
        let osType: OSType
        let architecture: Architecture
        let sizeGiB: Int
        let family: String
        let released: String  // yyyy-MM-dd

        func image(in regionId: String) -> Image {
            Image(
                id: id, regionId: regionId, ownership: .system, name: id, description: "",
                status: .available, osType: osType, osName: osName, osNameEn: osNameEn, platform: platform,
                architecture: architecture, sizeGiB: sizeGiB, creationTime: Self.date(released),
                imageFamily: family, imageVersion: released.replacingOccurrences(of: "-", with: ""),
                isSupportCloudinit: osType == .linux,
                diskDeviceMappings: [
                    DiskDeviceMapping(
                        device: "/dev/xvda", type: "system",
                        snapshotId: ResourceID.deterministic(prefix: "s-", seed: "\(regionId)/\(id)"),
                        sizeGiB: sizeGiB)
                ])
        }

        private static func date(_ day: String) -> Date {
            let parts = day.split(separator: "-").compactMap { Int($0) }
            var components = DateComponents()
            components.year = parts[0]
            components.month = parts[1]
            components.day = parts[2]
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar.date(from: components)!
        }
    }

    private static let templates: [Template] = [
        Template(
            id: "aliyun_3_x64_20G_alibase_20241103.vhd", osName: "Alibaba Cloud Linux  3.2104 LTS 64位",
            osNameEn: "Alibaba Cloud Linux  3.2104 LTS 64 bit", platform: "Aliyun", osType: .linux,
            architecture: .x86_64, sizeGiB: 20, family: "acs:alibaba_cloud_linux_3_2104_lts_x64",
            released: "2024-11-03"),
        Template(
            id: "aliyun_3_arm64_20G_alibase_20241103.vhd", osName: "Alibaba Cloud Linux  3.2104 LTS 64位 ARM版",
            osNameEn: "Alibaba Cloud Linux  3.2104 LTS 64 bit ARM Edition", platform: "Aliyun", osType: .linux,
            architecture: .arm64, sizeGiB: 20, family: "acs:alibaba_cloud_linux_3_2104_lts_arm64",
            released: "2024-11-03"),
        Template(
            id: "ubuntu_22_04_x64_20G_alibase_20241016.vhd", osName: "Ubuntu  22.04 64位",
            osNameEn: "Ubuntu  22.04 64 bit", platform: "Ubuntu", osType: .linux, architecture: .x86_64,
            sizeGiB: 20, family: "acs:ubuntu_22_04_x64", released: "2024-10-16"),
        Template(
            id: "ubuntu_22_04_arm64_20G_alibase_20241016.vhd", osName: "Ubuntu  22.04 64位 ARM版",
            osNameEn: "Ubuntu  22.04 64 bit ARM Edition", platform: "Ubuntu", osType: .linux,
            architecture: .arm64, sizeGiB: 20, family: "acs:ubuntu_22_04_arm64", released: "2024-10-16"),
        Template(
            id: "ubuntu_20_04_x64_20G_alibase_20240925.vhd", osName: "Ubuntu  20.04 64位",
            osNameEn: "Ubuntu  20.04 64 bit", platform: "Ubuntu", osType: .linux, architecture: .x86_64,
            sizeGiB: 20, family: "acs:ubuntu_20_04_x64", released: "2024-09-25"),
        Template(
            id: "debian_12_7_x64_20G_alibase_20241015.vhd", osName: "Debian  12.7 64位",
            osNameEn: "Debian  12.7 64 bit", platform: "Debian", osType: .linux, architecture: .x86_64,
            sizeGiB: 20, family: "acs:debian_12_x64", released: "2024-10-15"),
        Template(
            id: "centos_7_9_x64_20G_alibase_20240628.vhd", osName: "CentOS  7.9 64位",
            osNameEn: "CentOS  7.9 64 bit", platform: "CentOS", osType: .linux, architecture: .x86_64,
            sizeGiB: 20, family: "acs:centos_7_9_x64", released: "2024-06-28"),
        Template(
            id: "rockylinux_9_4_x64_20G_alibase_20240709.vhd", osName: "Rocky Linux 9.4 64位",
            osNameEn: "Rocky Linux 9.4 64 bit", platform: "Rocky Linux", osType: .linux,
            architecture: .x86_64, sizeGiB: 20, family: "acs:rockylinux_9_x64", released: "2024-07-09"),
        Template(
            id: "anolisos_8_9_x64_20G_rhck_alibase_20240724.vhd", osName: "Anolis OS  8.9 RHCK 64位",
            osNameEn: "Anolis OS  8.9 RHCK 64 bit", platform: "Anolis", osType: .linux,
            architecture: .x86_64, sizeGiB: 20, family: "acs:anolisos_8_x64", released: "2024-07-24"),
        Template(
            id: "centos_6_10_32_40G_alibase_20181228.vhd", osName: "CentOS  6.10 32位",
            osNameEn: "CentOS  6.10 32 bit", platform: "CentOS", osType: .linux, architecture: .i386,
            sizeGiB: 40, family: "", released: "2018-12-28"),
        Template(
            id: "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20241016.vhd",
            osName: "Windows Server  2022 数据中心版 64位中文版",
            osNameEn: "Windows Server  2022 Data Center Edition 64bit Chinese Edition",
            platform: "Windows Server 2022", osType: .windows, architecture: .x86_64, sizeGiB: 40,
            family: "acs:windows_server_2022_dtc_zh-cn", released: "2024-10-16"),
        Template(
            id: "win2019_1809_x64_dtc_en-us_40G_alibase_20241016.vhd",
            osName: "Windows Server  2019 数据中心版 64位英文版",
            osNameEn: "Windows Server  2019 Data Center Edition 64bit English Edition",
            platform: "Windows Server 2019", osType: .windows, architecture: .x86_64, sizeGiB: 40,
            family: "acs:windows_server_2019_dtc_en-us", released: "2024-10-16"),
    ]
}
