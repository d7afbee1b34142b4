import Foundation

/// A validated CreateSecurityGroup request.
public struct NewSecurityGroup: Sendable {
    public let regionId: String
    public let ownerId: String
    public let name: String
    public let description: String
    public let vpcId: String
    public let type: String
    public let tags: [ResourceTag]

    public init(regionId: String, ownerId: String, name: String, description: String, vpcId: String, type: String, tags: [ResourceTag]) {
        self.regionId = regionId
        self.ownerId = ownerId
        self.name = name
        self.description = description
        self.vpcId = vpcId
        self.type = type
        self.tags = tags
    }
}

/// DescribeSecurityGroups criteria.
public struct SecurityGroupFilter: Sendable {
    public var ids: [String]?
    /// Exact name, or a substring with `FuzzyQuery=true`.
    public var name: String?
    public var nameIsFuzzy = false
    public var vpcId: String?
    public var type: String?
    /// `vpc` or `classic`.
    public var networkType: String?
    public var tags: [(key: String, value: String?)] = []

    public init() {}
}

/// Security groups, their rules and their member instances.
public protocol SecurityGroupStore: Sendable {
    /// Creates a group if the owner stays within `SecurityGroupRules.maxGroupsPerRegion`; returns its ID.
    func createSecurityGroup(_ group: NewSecurityGroup, idempotency: IdempotencyKey?, now: Date) async throws -> String

    func securityGroups(in regionId: String, ownerId: String, filter: SecurityGroupFilter, offset: Int, limit: Int) async throws
        -> (groups: [SecurityGroup], totalCount: Int)

    /// The caller's group and its rules; nil when it is not the caller's.
    func securityGroup(id: String, ownerId: String) async throws -> (group: SecurityGroup, rules: [SecurityGroupRule])?

    func modifySecurityGroup(id: String, ownerId: String, name: String?, description: String?) async throws

    /// Deletes a group no instance is a member of and no other group's rule names (`DependencyViolation`).
    func deleteSecurityGroup(id: String, ownerId: String) async throws

    /// Adds the rules `make` builds from the group (validated by `SecurityGroupRules.rule`); a rule for the
    /// same traffic as an existing one is not added twice.
    func authorize(
        groupId: String, ownerId: String, now: Date,
        _ make: @escaping @Sendable (SecurityGroup) throws -> [SecurityGroupRule]
    ) async throws

    /// Removes the rules `select` picks from the group's rules (none picked is not an error, as on ECS).
    func revoke(
        groupId: String, ownerId: String,
        _ select: @escaping @Sendable (SecurityGroup, [SecurityGroupRule]) throws -> [String]
    ) async throws

    /// Adds an instance to a group of the same account and region (`SecurityGroupRules.checkCanJoin`).
    func joinSecurityGroup(instanceId: String, groupId: String, ownerId: String) async throws

    /// Removes an instance from a group (`SecurityGroupRules.checkCanLeave`).
    func leaveSecurityGroup(instanceId: String, groupId: String, ownerId: String) async throws
}
