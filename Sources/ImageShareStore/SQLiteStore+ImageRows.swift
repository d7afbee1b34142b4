import Foundation
import GRDB
import ImageShareCore

/// Reading images out of rows: the status is derived from the clock, so one store serves many nodes without
/// a background job flipping `Creating` to `Available`.
extension SQLiteStore {
    /// The select list for an image row `i`; bind `now` once for the effective status.
    static let imageColumns = """
        i.*, (CASE WHEN i.status = 'Creating' AND i.ready_at <= ? THEN 'Available' ELSE i.status END) AS effective_status,
        EXISTS (SELECT 1 FROM disks d WHERE d.image_id = i.id AND d.type = 'system') AS in_use
        """

    /// The effective status expression for WHERE clauses (bind `now`).
    static let effectiveStatusSQL = "(CASE WHEN i.status = 'Creating' AND i.ready_at <= ? THEN 'Available' ELSE i.status END)"

    /// Fetches full images (disks and tags included) for rows selected with `imageColumns`.
    static func fetchImages(_ db: Database, sql: String, arguments: StatementArguments, now: Date) throws -> [Image] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        guard !rows.isEmpty else { return [] }
        let ids: [String] = rows.map { $0["id"] }
        var disks: [String: [DiskDeviceMapping]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT * FROM image_disks WHERE image_id IN (\(placeholders(ids.count))) ORDER BY image_id, position",
            arguments: StatementArguments(ids))
        {
            disks[row["image_id"], default: []].append(
                DiskDeviceMapping(device: row["device"], type: row["type"], snapshotId: row["snapshot_id"], sizeGiB: row["size_gib"]))
        }
        var tags: [String: [ResourceTag]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT * FROM image_tags WHERE image_id IN (\(placeholders(ids.count))) ORDER BY image_id, tag_key",
            arguments: StatementArguments(ids))
        {
            tags[row["image_id"], default: []].append(ResourceTag(key: row["tag_key"], value: row["tag_value"]))
        }
        return rows.map { row in
            let id: String = row["id"]
            return image(from: row, disks: disks[id] ?? [], tags: tags[id] ?? [], now: now)
        }
    }

    /// One custom image by ID and region, or nil.
    static func fetchImage(_ db: Database, id: String, regionId: String, now: Date) throws -> Image? {
        try fetchImages(
            db, sql: "SELECT \(imageColumns) FROM images i WHERE i.id = ? AND i.region_id = ?",
            arguments: [now.storeMillis, id, regionId], now: now
        ).first
    }

    private static func image(from row: Row, disks: [DiskDeviceMapping], tags: [ResourceTag], now: Date) -> Image {
        let status = ImageStatus(rawValue: row["effective_status"]) ?? .unavailable
        let created = Date(storeMillis: row["created_at"])
        let ready = Date(storeMillis: row["ready_at"])
        var image = Image(
            id: row["id"], regionId: row["region_id"], ownership: .account(row["owner_id"]), name: row["name"],
            description: row["description"], status: status, osType: OSType(rawValue: row["os_type"]) ?? .linux,
            osName: row["os_name"], osNameEn: row["os_name_en"], platform: row["platform"],
            architecture: Architecture(rawValue: row["architecture"]) ?? .x86_64, sizeGiB: row["size_gib"],
            creationTime: created, imageFamily: row["image_family"], imageVersion: row["image_version"],
            isCopied: row["copied_from"] != nil, diskDeviceMappings: disks)
        image.isPublic = row["is_public"]
        image.shareCount = row["share_count"]
        image.inUse = row["in_use"]
        image.copiedFrom = row["copied_from"]
        image.bootMode = row["boot_mode"]
        image.tags = tags
        if status == .creating {
            let total = ready.timeIntervalSince(created)
            image.progress = total > 0 ? min(99, max(0, Int(100 * now.timeIntervalSince(created) / total))) : 99
        }
        return image
    }
}
