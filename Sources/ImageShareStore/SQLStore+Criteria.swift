import Foundation
import ImageShareCore

/// The Describe criteria of instances, disks and snapshots as SQL, so paging and `TotalCount` count only
/// what matches.
extension SQLStore {
    static func addCriteria(of filter: InstanceFilter, to clause: inout WhereClause) {
        if filter.matchesNothing { clause.add("1 = 0") }
        if let zoneId = filter.zoneId { clause.add("zone_id = ?", [zoneId]) }
        if let vpcId = filter.vpcId { clause.add("vpc_id = ?", [vpcId]) }
        if let vSwitchId = filter.vSwitchId { clause.add("vswitch_id = ?", [vSwitchId]) }
        if let groupId = filter.securityGroupId { clause.add(memberOfGroupSQL, [memberOfGroupPattern(groupId)]) }
        if let type = filter.instanceType { clause.add("instance_type = ?", [type]) }
        if let family = filter.instanceTypeFamily { clause.add("instance_type LIKE ? ESCAPE '\\'", [likeEscaped(family) + ".%"]) }
        if let chargeType = filter.chargeType { clause.add("charge_type = ?", [chargeType]) }
        if let chargeType = filter.internetChargeType { clause.add("internet_charge_type = ?", [chargeType]) }
        if let networkType = filter.networkType { clause.add(networkType == "vpc" ? "vswitch_id <> ''" : "vswitch_id = ''") }
        if let ips = filter.privateIps { clause.add("private_ip", in: ips) }
        if let ips = filter.publicIps { clause.add("public_ip", in: ips) }
        if let keyPair = filter.keyPairName { clause.add("key_pair_name = ?", [keyPair]) }
        clause.addTags(filter.tags, TagTable(.instance), idColumn: "instances.id")
    }

    static func addCriteria(of filter: DiskFilter, to clause: inout WhereClause) {
        if filter.matchesNothing { clause.add("1 = 0") }
        if let zoneId = filter.zoneId { clause.add("zone_id = ?", [zoneId]) }
        if let name = filter.name { clause.add("name = ?", [name]) }
        if let category = filter.category { clause.add("category = ?", [category]) }
        if let portable = filter.portable { clause.add("type = ?", [portable ? "data" : "system"]) }
        if let deleteWithInstance = filter.deleteWithInstance { clause.add("delete_with_instance = ?", [deleteWithInstance]) }
        if let snapshotId = filter.sourceSnapshotId { clause.add("source_snapshot_id = ?", [snapshotId]) }
        clause.addTags(filter.tags, TagTable(.disk), idColumn: "disks.id")
    }

    static func addCriteria(of filter: SnapshotFilter, to clause: inout WhereClause) {
        if filter.matchesNothing { clause.add("1 = 0") }
        if let name = filter.name { clause.add("name = ?", [name]) }
        if let type = filter.sourceDiskType { clause.add("source_disk_type = ?", [type]) }
        if let usage = filter.usage { clause.add("usage = ?", [usage]) }
        clause.addTags(filter.tags, TagTable(.snapshot), idColumn: "snapshots.id")
    }

    /// An instance row whose comma-separated `security_group_ids` holds the bound group (see
    /// `memberOfGroupPattern`).
    static let memberOfGroupSQL = "(',' || security_group_ids || ',') LIKE ? ESCAPE '\\'"

    static func memberOfGroupPattern(_ groupId: String) -> String { "%," + likeEscaped(groupId) + ",%" }

    /// Every group must be the owner's, in the instance's region (`InvalidSecurityGroupId.NotFound`).
    static func checkSecurityGroups(_ db: any SQLSession, _ ids: [String], ownerId: String, regionId: String) throws {
        guard !ids.isEmpty else { return }
        // Locked, so a group cannot be deleted while an instance joins it.
        let found = try db.fetchAll(
            "SELECT id FROM security_groups WHERE id IN (\(placeholders(ids.count))) AND owner_id = ? AND region_id = ?\(db.dialect.forUpdate)",
            ids + [ownerId, regionId])
        guard found.count == Set(ids).count else { throw ECSError.securityGroupNotFound }
    }
}
