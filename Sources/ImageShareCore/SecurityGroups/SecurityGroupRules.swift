import Foundation

/// The rules of security groups: what a rule may say, and how many of each thing there may be.
public enum SecurityGroupRules {
    /// Security groups one account may have in one region.
    public static let maxGroupsPerRegion = 100
    /// Rules in one group (ingress and egress together).
    public static let maxRulesPerGroup = 200
    /// Groups one instance may be a member of.
    public static let maxGroupsPerInstance = 5

    /// The protocols ECS accepts, in the spelling it answers with.
    public static let protocols = ["TCP", "UDP", "ICMP", "ICMPv6", "GRE", "ALL"]

    /// A rule as a client describes it, before validation.
    public struct Draft: Sendable {
        public var direction: RuleDirection
        public var ipProtocol: String?
        public var portRange: String?
        public var sourcePortRange: String?
        public var cidrIp: String?
        public var groupId: String?
        public var policy: String?
        public var priority: String?
        public var nicType: String?
        public var description: String?

        public init(direction: RuleDirection) { self.direction = direction }
    }

    /// Validates `draft` for `group` and returns the rule in canonical form (upper-case protocol, lower-case
    /// policy, defaults filled in); the peer group, when named, is checked by the store.
    public static func rule(_ draft: Draft, in group: SecurityGroup, id: String, now: Date) throws(ECSError) -> SecurityGroupRule {
        let peerName = draft.direction == .ingress ? "Source" : "Dest"
        guard let protocolText = draft.ipProtocol else { throw .missingParameter("IpProtocol") }
        guard let ipProtocol = protocols.first(where: { $0.lowercased() == protocolText.lowercased() }) else {
            throw .invalidIpProtocol
        }
        guard let portText = draft.portRange else { throw .missingParameter("PortRange") }
        let hasPorts = ipProtocol == "TCP" || ipProtocol == "UDP"
        guard let portRange = canonicalPortRange(portText, hasPorts: hasPorts) else { throw .invalidPortRange }
        var sourcePortRange = ""
        if let text = draft.sourcePortRange {
            guard let range = canonicalPortRange(text, hasPorts: hasPorts) else { throw .invalidPortRange }
            sourcePortRange = range
        }
        let cidrIp = draft.cidrIp ?? ""
        let groupId = draft.groupId ?? ""
        guard !cidrIp.isEmpty || !groupId.isEmpty else { throw .missingRulePeer(peerName) }
        if !cidrIp.isEmpty, !isIPv4CIDR(cidrIp) {
            throw draft.direction == .ingress ? .invalidSourceCidrIp : .invalidDestCidrIp
        }
        let policy = (draft.policy ?? "accept").lowercased()
        guard policy == "accept" || policy == "drop" else { throw .invalidSecurityGroupPolicy }
        let priority: Int
        if let text = draft.priority {
            guard let value = Int(text), (1...100).contains(value) else { throw .invalidSecurityGroupPriority }
            priority = value
        } else {
            priority = 1
        }
        var nicType = group.defaultNicType
        if let text = draft.nicType?.lowercased() {
            guard text == "internet" || text == "intranet" else { throw .invalidNicType }
            // A VPC group's rules always apply to the internal interface, whatever the client says.
            if group.vpcId.isEmpty { nicType = text }
        }
        let description = draft.description ?? ""
        guard description.isEmpty || TextRules.isValidDescription(description) else { throw .descriptionMalformed }
        return SecurityGroupRule(
            id: id, direction: draft.direction, ipProtocol: ipProtocol, portRange: portRange, sourcePortRange: sourcePortRange,
            cidrIp: cidrIp, groupId: groupId, policy: policy, priority: priority, nicType: nicType, description: description,
            creationTime: now)
    }

    /// `from/to` with 1 ≤ from ≤ to ≤ 65535 for TCP and UDP; `-1/-1` for the others.
    static func canonicalPortRange(_ text: String, hasPorts: Bool) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let from = Int(parts[0]), let to = Int(parts[1]) else { return nil }
        if !hasPorts { return from == -1 && to == -1 ? "-1/-1" : nil }
        guard (1...65_535).contains(from), (from...65_535).contains(to) else { return nil }
        return "\(from)/\(to)"
    }

    /// `a.b.c.d` or `a.b.c.d/n`, each byte 0–255 and n 0–32.
    public static func isIPv4CIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return false }
        if parts.count == 2 {
            guard parts[1].count <= 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return false }
        }
        let bytes = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return bytes.count == 4 && bytes.allSatisfy { byte in
            (1...3).contains(byte.count) && byte.allSatisfy(\.isASCII) && Int(byte).map { (0...255).contains($0) } == true
        }
    }

    /// Whether `instanceGroups` may take one more group.
    public static func checkCanJoin(_ groupId: String, instanceGroups: [String]) throws(ECSError) {
        guard !instanceGroups.contains(groupId) else { throw .instanceAlreadyInSecurityGroup }
        guard instanceGroups.count < maxGroupsPerInstance else { throw .instanceSecurityGroupLimitExceeded }
    }

    /// Whether an instance in `instanceGroups` may leave `groupId`: it must be a member with another group left.
    public static func checkCanLeave(_ groupId: String, instanceGroups: [String]) throws(ECSError) {
        guard instanceGroups.contains(groupId) else { throw .instanceNotInSecurityGroup }
        guard instanceGroups.count > 1 else { throw .instanceLastSecurityGroup }
    }
}
