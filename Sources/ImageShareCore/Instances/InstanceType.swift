import Foundation

/// An ECS instance type from the built-in catalogue.
public struct InstanceType: Sendable, Equatable {
    public let id: String
    public let cpu: Int
    public let memoryMiB: Int
    /// The CPU architecture of the type: `x86_64`, or `arm64` for the Yitian (`g8y`) family.
    public let architecture: Architecture

    public init(id: String, cpu: Int, memoryMiB: Int, architecture: Architecture = .x86_64) {
        self.id = id
        self.cpu = cpu
        self.memoryMiB = memoryMiB
        self.architecture = architecture
    }

    /// Whether an image of `imageArchitecture` boots on this type (32-bit x86 images run on x86_64 types).
    public func runs(_ imageArchitecture: Architecture) -> Bool {
        switch (architecture, imageArchitecture) {
        case (.arm64, .arm64), (.x86_64, .x86_64), (.x86_64, .i386): true
        default: false
        }
    }

    /// The family a type belongs to: `ecs.g7` for `ecs.g7.large`.
    public var family: String { id.split(separator: ".").prefix(2).joined(separator: ".") }

    /// The catalogue's type IDs in order, for messages that say what is supported.
    public static var catalogueIDs: [String] { catalogue.keys.sorted() }

    /// The built-in catalogue.
    public static let catalogue: [String: InstanceType] = Dictionary(
        uniqueKeysWithValues: [
            InstanceType(id: "ecs.t6-c1m1.large", cpu: 2, memoryMiB: 2_048),
            InstanceType(id: "ecs.t6-c1m2.large", cpu: 2, memoryMiB: 4_096),
            InstanceType(id: "ecs.g7.large", cpu: 2, memoryMiB: 8_192),
            InstanceType(id: "ecs.g7.xlarge", cpu: 4, memoryMiB: 16_384),
            InstanceType(id: "ecs.g7.2xlarge", cpu: 8, memoryMiB: 32_768),
            InstanceType(id: "ecs.c7.large", cpu: 2, memoryMiB: 4_096),
            InstanceType(id: "ecs.c7.xlarge", cpu: 4, memoryMiB: 8_192),
            InstanceType(id: "ecs.r7.large", cpu: 2, memoryMiB: 16_384),
            InstanceType(id: "ecs.g8y.large", cpu: 2, memoryMiB: 8_192, architecture: .arm64),
            InstanceType(id: "ecs.g8y.xlarge", cpu: 4, memoryMiB: 16_384, architecture: .arm64),
        ].map { ($0.id, $0) })
}

/// An instance's lifecycle state, with ECS's wire spelling.
public enum InstanceStatus: String, Sendable, CaseIterable {
    case pending = "Pending"
    case running = "Running"
    case starting = "Starting"
    case stopping = "Stopping"
    case stopped = "Stopped"
}

/// An ECS instance.
public struct Instance: Sendable, Equatable {
    public let id: String
    public let regionId: String
    public let zoneId: String
    public let ownerId: String
    public var name: String
    public var description: String
    public var hostName: String
    public let instanceType: InstanceType
    /// The image of its current system disk.
    public var imageId: String
    public var status: InstanceStatus
    public let creationTime: Date
    public var startTime: Date?
    public var securityGroupIds: [String]
    public let vSwitchId: String
    public let vpcId: String
    public let privateIp: String
    public let chargeType: String
    public var osType: String
    public var osName: String
    public var osNameEn: String
    public var tags: [ResourceTag]
    /// Base64 text given at launch or by ModifyInstanceAttribute; empty when none.
    public var userData: String = ""
    /// Empty until AllocatePublicIpAddress (or a launch with public bandwidth) assigns one.
    public var publicIp: String = ""
    public var network = InstanceNetwork()

    public init(
        id: String, regionId: String, zoneId: String, ownerId: String, name: String, description: String,
        hostName: String, instanceType: InstanceType, imageId: String, status: InstanceStatus,
        creationTime: Date, startTime: Date?, securityGroupIds: [String], vSwitchId: String, vpcId: String,
        privateIp: String, chargeType: String, osType: String, osName: String, osNameEn: String = "", tags: [ResourceTag]
    ) {
        self.id = id
        self.regionId = regionId
        self.zoneId = zoneId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.hostName = hostName
        self.instanceType = instanceType
        self.imageId = imageId
        self.status = status
        self.creationTime = creationTime
        self.startTime = startTime
        self.securityGroupIds = securityGroupIds
        self.vSwitchId = vSwitchId
        self.vpcId = vpcId
        self.privateIp = privateIp
        self.chargeType = chargeType
        self.osType = osType
        self.osName = osName
        self.osNameEn = osNameEn
        self.tags = tags
    }
}

/// An instance's public network settings as RunInstances and CreateInstance set them.
public struct InstanceNetwork: Sendable, Equatable {
    /// `PayByTraffic` or `PayByBandwidth`.
    public var internetChargeType: String
    /// Mbit/s, 0–100; above 0 a RunInstances launch gets a public IP.
    public var maxBandwidthOut: Int
    /// Mbit/s, 1–200 (ECS's default 200 when not given).
    public var maxBandwidthIn: Int
    public var keyPairName: String

    public init(internetChargeType: String = "PayByTraffic", maxBandwidthOut: Int = 0, maxBandwidthIn: Int = 200, keyPairName: String = "") {
        self.internetChargeType = internetChargeType
        self.maxBandwidthOut = maxBandwidthOut
        self.maxBandwidthIn = maxBandwidthIn
        self.keyPairName = keyPairName
    }
}
