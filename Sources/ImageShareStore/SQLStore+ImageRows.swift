import Foundation
import ImageShareCore

/// Reading images out of rows: the status is derived from the clock, so one store serves many nodes without
/// a background job flipping `Creating` to `Available`.
extension SQLStore {
    /// The effective status of an image row `i` (bind `now`): a finished build is `Available`, or `CreateFailed`
    /// when a test injected the failure.
    static let effectiveStatusSQL = """
        (CASE WHEN i.status = 'Creating' AND i.ready_at <= ? \
        THEN (CASE WHEN i.build_fails = 1 THEN 'CreateFailed' ELSE 'Available' END) ELSE i.status END)
        """

    /// The select list for an image row `i`; bind `now` once for the effective status.
    static let imageColumns = """
        i.*, \(effectiveStatusSQL) AS effective_status,
        EXISTS (SELECT 1 FROM disks d WHERE d.image_id = i.id AND d.type = 'system') AS in_use
        """

    /// Fetches full images (disks and tags included, unless `details` is false) for rows selected with `imageColumns`.
    static func fetchImages(_ db: any SQLSession, sql: String, arguments: [any SQLBindable], now: Date, details: Bool = true) throws -> [Image] {
        let rows = try SQLRow.fetchAll(db, sql: sql, arguments: arguments)
        guard !rows.isEmpty else { return [] }
        guard details else { return try rows.map { try image(from: $0, disks: [], tags: [], now: now) } }
        let ids: [String] = try rows.map { try $0.get("id") }
        var disks: [String: [DiskDeviceMapping]] = [:]
        for row in try SQLRow.fetchAll(
            db,
            sql: "SELECT * FROM image_disks WHERE image_id IN (\(placeholders(ids.count))) ORDER BY image_id, position",
            arguments: ids)
        {
            disks[try row.get("image_id"), default: []].append(
                DiskDeviceMapping(device: try row.get("device"), type: try row.get("type"), snapshotId: try row.get("snapshot_id"), sizeGiB: try row.get("size_gib")))
        }
        let tags = try TagTable(.image).tags(of: ids, in: db)
        return try rows.map { row in
            let id: String = try row.get("id")
            return try image(from: row, disks: disks[id] ?? [], tags: tags[id] ?? [], now: now)
        }
    }

    /// How a SELECT holds an image row until its transaction ends.
    enum RowLock {
        case none
        /// Others may read it and hold it the same way, but not change it (launching or copying from it).
        case shared
        /// Writers on other nodes decide one after another (sharing, deleting, modifying it).
        case exclusive
    }

    /// One custom image by ID and region, or nil, its row held as `lock` says; without `details` its disk
    /// mappings and tags are left empty (two statements less for a rule that looks at neither).
    static func fetchImage(
        _ db: any SQLSession, id: String, regionId: String, now: Date, lock: RowLock = .none, details: Bool = true
    ) throws -> Image? {
        let suffix = switch lock {
        case .none: ""
        case .shared: db.dialect.forShare
        case .exclusive: db.dialect.forUpdate
        }
        return try fetchImages(
            db, sql: "SELECT \(imageColumns) FROM images i WHERE i.id = ? AND i.region_id = ?\(suffix)",
            arguments: [now.storeMillis, id, regionId], now: now, details: details
        ).first
    }

    private static func image(from row: SQLRow, disks: [DiskDeviceMapping], tags: [ResourceTag], now: Date) throws -> Image {
        let status = ImageStatus(rawValue: try row.get("effective_status")) ?? .unavailable
        let created = Date(storeMillis: try row.get("created_at"))
        let ready = Date(storeMillis: try row.get("ready_at"))
        var image = Image(
            id: try row.get("id"), regionId: try row.get("region_id"), ownership: .account(try row.get("owner_id")), name: try row.get("name"),
            description: try row.get("description"), status: status, osType: OSType(rawValue: try row.get("os_type")) ?? .linux,
            osName: try row.get("os_name"), osNameEn: try row.get("os_name_en"), platform: try row.get("platform"),
            architecture: Architecture(rawValue: try row.get("architecture")) ?? .x86_64, sizeGiB: try row.get("size_gib"),
            creationTime: created, imageFamily: try row.get("image_family"), imageVersion: try row.get("image_version"),
            isCopied: (try row.get("copied_from") as String?) != nil, diskDeviceMappings: disks)
        image.isPublic = try row.get("is_public")
        image.shareCount = try row.get("share_count")
        image.inUse = try row.get("in_use")
        image.copiedFrom = try row.get("copied_from")
        image.bootMode = try row.get("boot_mode")
        image.tags = tags
        if status == .creating {
            let total = ready.timeIntervalSince(created)
            image.progress = total > 0 ? min(99, max(0, Int(100 * now.timeIntervalSince(created) / total))) : 99
        }
        return image
    }
}
