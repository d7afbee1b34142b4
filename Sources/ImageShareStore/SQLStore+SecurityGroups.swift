import Foundation
import ImageShareCore

extension SQLStore: SecurityGroupStore {
    public func createSecurityGroup(_ group: NewSecurityGroup, idempotency: IdempotencyKey?, now: Date) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                // The account row is locked, so two creations cannot both take the last place.
                try Self.lockAccount(db, group.ownerId)
                let owned = try db.fetchValue(
                    "SELECT COUNT(*) FROM security_groups WHERE owner_id = ? AND region_id = ?", [group.ownerId, group.regionId],
                    as: Int.self) ?? 0
                guard owned < SecurityGroupRules.maxGroupsPerRegion else { throw ECSError.securityGroupQuotaExceeded }
                let id = self.identifiers.resourceID(prefix: "sg-")
                try db.execute(
                    """
                    INSERT INTO security_groups (id, region_id, owner_id, name, description, vpc_id, type, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [id, group.regionId, group.ownerId, group.name, group.description, group.vpcId, group.type, now.storeMillis])
                try TagTable(.securityGroup).insert(group.tags, for: id, in: db)
                return [id]
            }[0]
        }
    }

    public func securityGroups(in regionId: String, ownerId: String, filter: SecurityGroupFilter, offset: Int, limit: Int) async throws
        -> (groups: [SecurityGroup], totalCount: Int)
    {
        try await read { db in
            var clause = WhereClause()
            clause.add("region_id = ? AND owner_id = ?", [regionId, ownerId])
            if let ids = filter.ids { clause.add("id", in: ids) }
            if let name = filter.name {
                if filter.nameIsFuzzy {
                    clause.add("name \(db.dialect.caseInsensitiveLike) ? ESCAPE '\\'", ["%" + likeEscaped(name) + "%"])
                } else {
                    clause.add("name = ?", [name])
                }
            }
            if let vpcId = filter.vpcId { clause.add("vpc_id = ?", [vpcId]) }
            if let type = filter.type { clause.add("type = ?", [type]) }
            if let network = filter.networkType { clause.add(network == "vpc" ? "vpc_id <> ''" : "vpc_id = ''") }
            clause.addTags(filter.tags, TagTable(.securityGroup), idColumn: "security_groups.id")
            let (rows, total) = try clause.page(of: "security_groups", in: db, offset: offset, limit: limit)
            return (try Self.securityGroups(from: rows, db: db), total)
        }
    }

    public func securityGroup(id: String, ownerId: String) async throws -> (group: SecurityGroup, rules: [SecurityGroupRule])? {
        try await read { db in
            guard let group = try Self.securityGroups(
                from: db.fetchAll("SELECT * FROM security_groups WHERE id = ? AND owner_id = ?", [id, ownerId]), db: db
            ).first else { return nil }
            return (group, try Self.rules(of: id, db: db))
        }
    }

    public func modifySecurityGroup(id: String, ownerId: String, name: String?, description: String?) async throws {
        try await write { db in
            _ = try Self.lockedGroupRow(db, id: id, ownerId: ownerId)
            if let name { try db.execute("UPDATE security_groups SET name = ? WHERE id = ?", [name, id]) }
            if let description { try db.execute("UPDATE security_groups SET description = ? WHERE id = ?", [description, id]) }
        }
    }

    public func deleteSecurityGroup(id: String, ownerId: String) async throws {
        try await write { db in
            _ = try Self.lockedGroupRow(db, id: id, ownerId: ownerId)
            let members = try db.fetchOne("SELECT 1 FROM instances WHERE \(Self.memberOfGroupSQL)", [Self.memberOfGroupPattern(id)])
            let referrers = try db.fetchOne("SELECT 1 FROM security_group_rules WHERE peer_group_id = ? AND group_id <> ?", [id, id])
            guard members == nil, referrers == nil else { throw ECSError.securityGroupInUse }
            try db.execute("DELETE FROM security_groups WHERE id = ?", [id])
        }
    }

    public func authorize(
        groupId: String, ownerId: String, now: Date, _ make: @escaping @Sendable (SecurityGroup) throws -> [SecurityGroupRule]
    ) async throws {
        try await write { db in
            let group = try Self.securityGroups(from: [try Self.lockedGroupRow(db, id: groupId, ownerId: ownerId)], db: db)[0]
            var rules = try Self.rules(of: groupId, db: db)
            for rule in try make(group) {
                // A peer group must be the caller's, in the same region.
                if !rule.groupId.isEmpty {
                    guard try db.fetchOne(
                        "SELECT 1 FROM security_groups WHERE id = ? AND owner_id = ? AND region_id = ?", [rule.groupId, ownerId, group.regionId]
                    ) != nil else { throw ECSError.securityGroupNotFound }
                }
                guard !rules.contains(where: { $0.sameTraffic(as: rule) }) else { continue }
                guard rules.count < SecurityGroupRules.maxRulesPerGroup else { throw ECSError.securityGroupRuleLimitExceeded }
                try db.execute(
                    """
                    INSERT INTO security_group_rules (id, group_id, direction, ip_protocol, port_range, source_port_range, cidr_ip,
                        peer_group_id, policy, priority, nic_type, description, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        rule.id, groupId, rule.direction.rawValue, rule.ipProtocol, rule.portRange, rule.sourcePortRange, rule.cidrIp,
                        rule.groupId, rule.policy, rule.priority, rule.nicType, rule.description, rule.creationTime.storeMillis,
                    ])
                rules.append(rule)
            }
        }
    }

    public func revoke(
        groupId: String, ownerId: String, _ select: @escaping @Sendable (SecurityGroup, [SecurityGroupRule]) throws -> [String]
    ) async throws {
        try await write { db in
            let group = try Self.securityGroups(from: [try Self.lockedGroupRow(db, id: groupId, ownerId: ownerId)], db: db)[0]
            for id in try select(group, try Self.rules(of: groupId, db: db)) {
                try db.execute("DELETE FROM security_group_rules WHERE id = ? AND group_id = ?", [id, groupId])
            }
        }
    }

    public func joinSecurityGroup(instanceId: String, groupId: String, ownerId: String) async throws {
        try await changeMembership(instanceId: instanceId, groupId: groupId, ownerId: ownerId) { groups in
            try SecurityGroupRules.checkCanJoin(groupId, instanceGroups: groups)
            return groups + [groupId]
        }
    }

    public func leaveSecurityGroup(instanceId: String, groupId: String, ownerId: String) async throws {
        try await changeMembership(instanceId: instanceId, groupId: groupId, ownerId: ownerId) { groups in
            try SecurityGroupRules.checkCanLeave(groupId, instanceGroups: groups)
            return groups.filter { $0 != groupId }
        }
    }

    /// Rewrites an instance's groups; the instance must be Running or Stopped and the group the caller's in
    /// the instance's region.
    private func changeMembership(
        instanceId: String, groupId: String, ownerId: String, _ change: @escaping @Sendable ([String]) throws -> [String]
    ) async throws {
        try await write { db in
            guard let instance = try db.fetchOne(
                "SELECT region_id, status, security_group_ids FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)",
                [instanceId, ownerId])
            else { throw ECSError.instanceNotFound }
            try Self.checkSecurityGroups(db, [groupId], ownerId: ownerId, regionId: try instance.get("region_id"))
            let status: String = try instance.get("status")
            try InstanceRules.checkSettled(status)
            let current: String = try instance.get("security_group_ids")
            let groups = try change(current.isEmpty ? [] : current.split(separator: ",").map(String.init))
            try db.execute("UPDATE instances SET security_group_ids = ? WHERE id = ?", [groups.joined(separator: ","), instanceId])
        }
    }

    private static func lockedGroupRow(_ db: any SQLSession, id: String, ownerId: String) throws -> SQLRow {
        guard let row = try db.fetchOne("SELECT * FROM security_groups WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [id, ownerId])
        else { throw ECSError.securityGroupNotFound }
        return row
    }

    private static func securityGroups(from rows: [SQLRow], db: any SQLSession) throws -> [SecurityGroup] {
        let ids: [String] = try rows.map { try $0.get("id") }
        let tags = try TagTable(.securityGroup).tags(of: ids, in: db)
        return try rows.map { row in
            let id: String = try row.get("id")
            return SecurityGroup(
                id: id, regionId: try row.get("region_id"), ownerId: try row.get("owner_id"), name: try row.get("name"),
                description: try row.get("description"), vpcId: try row.get("vpc_id"), type: try row.get("type"),
                creationTime: Date(storeMillis: try row.get("created_at")), tags: tags[id] ?? [],
                instanceCount: try db.fetchValue(
                    "SELECT COUNT(*) FROM instances WHERE \(memberOfGroupSQL)", [memberOfGroupPattern(id)], as: Int.self) ?? 0,
                ruleCount: try db.fetchValue("SELECT COUNT(*) FROM security_group_rules WHERE group_id = ?", [id], as: Int.self) ?? 0)
        }
    }

    private static func rules(of groupId: String, db: any SQLSession) throws -> [SecurityGroupRule] {
        try db.fetchAll("SELECT * FROM security_group_rules WHERE group_id = ? ORDER BY priority, created_at, id", [groupId]).map { row in
            SecurityGroupRule(
                id: try row.get("id"), direction: RuleDirection(rawValue: try row.get("direction")) ?? .ingress,
                ipProtocol: try row.get("ip_protocol"), portRange: try row.get("port_range"),
                sourcePortRange: try row.get("source_port_range"), cidrIp: try row.get("cidr_ip"), groupId: try row.get("peer_group_id"),
                policy: try row.get("policy"), priority: try row.get("priority"), nicType: try row.get("nic_type"),
                description: try row.get("description"), creationTime: Date(storeMillis: try row.get("created_at")))
        }
    }
}
