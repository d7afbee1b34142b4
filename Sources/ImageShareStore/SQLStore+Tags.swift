import Foundation
import ImageShareCore

/// Where each kind of resource keeps its tags: one tag table per resource table, so tags go with their
/// resource (ON DELETE CASCADE).
struct TagTable {
    /// The tag table and its column naming the resource.
    let table: String
    let column: String
    /// The resource table (every one has `id`, `region_id` and `owner_id`).
    let resources: String

    init(_ type: TaggedResourceType) {
        switch type {
        case .image: (table, column, resources) = ("image_tags", "image_id", "images")
        case .instance: (table, column, resources) = ("instance_tags", "instance_id", "instances")
        case .disk: (table, column, resources) = ("disk_tags", "disk_id", "disks")
        case .snapshot: (table, column, resources) = ("snapshot_tags", "snapshot_id", "snapshots")
        case .securityGroup: (table, column, resources) = ("security_group_tags", "security_group_id", "security_groups")
        }
    }

    /// Adds `tags` to a resource that has none yet (a resource being created).
    func insert(_ tags: [ResourceTag], for id: String, in db: any SQLSession) throws {
        for tag in tags {
            try db.execute("INSERT INTO \(table) (\(column), tag_key, tag_value) VALUES (?, ?, ?)", [id, tag.key, tag.value])
        }
    }

    /// The tags of each of `ids`, ordered by key.
    func tags(of ids: [String], in db: any SQLSession) throws -> [String: [ResourceTag]] {
        guard !ids.isEmpty else { return [:] }
        var tags: [String: [ResourceTag]] = [:]
        for row in try db.fetchAll(
            "SELECT \(column) AS resource_id, tag_key, tag_value FROM \(table) WHERE \(column) IN (\(placeholders(ids.count))) ORDER BY \(column), tag_key",
            ids)
        {
            tags[try row.get("resource_id"), default: []].append(ResourceTag(key: try row.get("tag_key"), value: try row.get("tag_value")))
        }
        return tags
    }
}

extension WhereClause {
    /// Every tag must be on the resource whose ID is the column `idColumn` (a nil value matches any value).
    mutating func addTags(_ tags: [(key: String, value: String?)], _ table: TagTable, idColumn: String) {
        for tag in tags {
            let base = "EXISTS (SELECT 1 FROM \(table.table) t WHERE t.\(table.column) = \(idColumn) AND t.tag_key = ?"
            if let value = tag.value {
                add(base + " AND t.tag_value = ?)", [tag.key, value])
            } else {
                add(base + ")", [tag.key])
            }
        }
    }
}

extension SQLStore: TagStore {
    public func tagResources(_ type: TaggedResourceType, ids: [String], regionId: String, ownerId: String, tags: [ResourceTag]) async throws {
        let table = TagTable(type)
        try await write { db in
            try Self.checkOwned(db, table, ids: ids, regionId: regionId, ownerId: ownerId)
            let existing = try table.tags(of: ids, in: db)
            for id in ids {
                try TagRules.checkCapacity(existing: existing[id] ?? [], adding: tags)
                for tag in tags {
                    try db.execute("DELETE FROM \(table.table) WHERE \(table.column) = ? AND tag_key = ?", [id, tag.key])
                }
                try table.insert(tags, for: id, in: db)
            }
        }
    }

    public func untagResources(_ type: TaggedResourceType, ids: [String], regionId: String, ownerId: String, keys: [String]?) async throws {
        let table = TagTable(type)
        try await write { db in
            try Self.checkOwned(db, table, ids: ids, regionId: regionId, ownerId: ownerId)
            for id in ids {
                if let keys {
                    for key in keys {
                        try db.execute("DELETE FROM \(table.table) WHERE \(table.column) = ? AND tag_key = ?", [id, key])
                    }
                } else {
                    try db.execute("DELETE FROM \(table.table) WHERE \(table.column) = ?", [id])
                }
            }
        }
    }

    public func tagAssignments(
        _ type: TaggedResourceType, ids: [String]?, having: [(key: String, value: String?)], regionId: String, ownerId: String,
        offset: Int, limit: Int
    ) async throws -> [TagAssignment] {
        let table = TagTable(type)
        return try await read { db in
            var clause = WhereClause()
            clause.add("r.region_id = ? AND r.owner_id = ?", [regionId, ownerId])
            if let ids { clause.add("r.id", in: ids) }
            clause.addTags(having, table, idColumn: "r.id")
            let rows = try db.fetchAll(
                """
                SELECT tg.\(table.column) AS resource_id, tg.tag_key, tg.tag_value
                FROM \(table.table) tg JOIN \(table.resources) r ON r.id = tg.\(table.column)
                WHERE \(clause.sql) ORDER BY tg.\(table.column), tg.tag_key LIMIT ? OFFSET ?
                """,
                clause.arguments + [limit.sqlValue, offset.sqlValue])
            return try rows.map {
                TagAssignment(
                    resourceType: type, resourceId: try $0.get("resource_id"),
                    tag: ResourceTag(key: try $0.get("tag_key"), value: try $0.get("tag_value")))
            }
        }
    }

    /// Every ID must be one of the caller's resources in the region: a shared image is not the recipient's.
    private static func checkOwned(_ db: any SQLSession, _ table: TagTable, ids: [String], regionId: String, ownerId: String) throws {
        // Locked, so concurrent tag calls on one resource apply one after another.
        let owned = try db.fetchAll(
            "SELECT id FROM \(table.resources) WHERE id IN (\(placeholders(ids.count))) AND region_id = ? AND owner_id = ?\(db.dialect.forUpdate)",
            ids + [regionId, ownerId])
        guard owned.count == Set(ids).count else { throw ECSError.taggedResourceNotFound }
    }
}
