import Foundation

/// An ECS security group: a named set of firewall rules that instances of the same account and region join.
public struct SecurityGroup: Sendable, Equatable {
    public let id: String
    public let regionId: String
    public let ownerId: String
    public var name: String
    public var description: String
    /// Empty for a classic-network group.
    public let vpcId: String
    /// `normal` or `enterprise`.
    public let type: String
    public let creationTime: Date
    public var tags: [ResourceTag]
    /// Instances that are members.
    public var instanceCount: Int
    public var ruleCount: Int

    public init(
        id: String, regionId: String, ownerId: String, name: String, description: String, vpcId: String, type: String,
        creationTime: Date, tags: [ResourceTag], instanceCount: Int, ruleCount: Int
    ) {
        self.id = id
        self.regionId = regionId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.vpcId = vpcId
        self.type = type
        self.creationTime = creationTime
        self.tags = tags
        self.instanceCount = instanceCount
        self.ruleCount = ruleCount
    }

    /// Rules of a VPC group always apply to the internal network interface.
    public var defaultNicType: String { vpcId.isEmpty ? "internet" : "intranet" }
}

/// Which traffic a rule governs.
public enum RuleDirection: String, Sendable, CaseIterable {
    case ingress
    case egress
}

/// One rule of a security group, in the canonical form `SecurityGroupRules.rule` produces.
public struct SecurityGroupRule: Sendable, Equatable {
    public var id: String
    public let direction: RuleDirection
    /// `TCP`, `UDP`, `ICMP`, `ICMPv6`, `GRE` or `ALL` (ECS answers upper-case names).
    public let ipProtocol: String
    /// `from/to`; `-1/-1` for protocols without ports.
    public let portRange: String
    public let sourcePortRange: String
    /// The peer: a CIDR block or another group of the same account (the source of an ingress rule, the
    /// destination of an egress rule).
    public let cidrIp: String
    public let groupId: String
    /// `accept` or `drop`.
    public let policy: String
    /// 1 (first) … 100.
    public let priority: Int
    /// `internet` or `intranet`.
    public let nicType: String
    public var description: String
    public var creationTime: Date

    public init(
        id: String, direction: RuleDirection, ipProtocol: String, portRange: String, sourcePortRange: String,
        cidrIp: String, groupId: String, policy: String, priority: Int, nicType: String, description: String,
        creationTime: Date
    ) {
        self.id = id
        self.direction = direction
        self.ipProtocol = ipProtocol
        self.portRange = portRange
        self.sourcePortRange = sourcePortRange
        self.cidrIp = cidrIp
        self.groupId = groupId
        self.policy = policy
        self.priority = priority
        self.nicType = nicType
        self.description = description
        self.creationTime = creationTime
    }

    /// Whether two rules allow or deny the same traffic (ECS keeps one of them; the description does not count).
    public func sameTraffic(as other: SecurityGroupRule) -> Bool {
        direction == other.direction && ipProtocol == other.ipProtocol && portRange == other.portRange
            && sourcePortRange == other.sourcePortRange && cidrIp == other.cidrIp && groupId == other.groupId
            && policy == other.policy && priority == other.priority && nicType == other.nicType
    }
}
