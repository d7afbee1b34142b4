/// The operating system an image carries, inherited by the disks, snapshots and images made from it.
public struct OSProfile: Sendable, Equatable {
    public let osType: OSType
    public let osName: String
    public let osNameEn: String
    public let platform: String
    public let architecture: Architecture

    public init(osType: OSType, osName: String, osNameEn: String, platform: String, architecture: Architecture) {
        self.osType = osType
        self.osName = osName
        self.osNameEn = osNameEn
        self.platform = platform
        self.architecture = architecture
    }
}

extension Image {
    /// The OS profile of this image.
    public var osProfile: OSProfile {
        OSProfile(osType: osType, osName: osName, osNameEn: osNameEn, platform: platform, architecture: architecture)
    }
}
