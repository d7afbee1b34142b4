import Foundation
import ImageShareCore

extension SQLStore: ImageStore {
    public func customImages(
        in regionId: String, scope: CustomImageScope, viewer: String, filter: ImageFilter, offset: Int, limit: Int,
        now: Date
    ) async throws -> (images: [Image], totalCount: Int) {
        try await read { db in
            if scope == .sharedWithViewer, filter.constrainsOnlyStatus {
                return try Self.sharedImagesPage(db, in: regionId, viewer: viewer, filter: filter, offset: offset, limit: limit, now: now)
            }
            let clause = Self.imageWhere(
                regionId: regionId, scope: scope, viewer: viewer, filter: filter, now: now, dialect: db.dialect)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM images i WHERE \(clause.sql)", arguments: clause.arguments) ?? 0
            var arguments: [any SQLBindable] = [now.storeMillis]
            arguments += clause.arguments
            arguments += [limit, offset]
            let images = try Self.fetchImages(
                db,
                sql: "SELECT \(Self.imageColumns) FROM images i WHERE \(clause.sql) ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?",
                arguments: arguments, now: now)
            return (images, total)
        }
    }

    public func customImage(id: String, in regionId: String, viewer: String, now: Date) async throws
        -> (image: Image, isSharedWithViewer: Bool)?
    {
        try await read { db in
            guard let image = try Self.fetchImage(db, id: id, regionId: regionId, now: now) else { return nil }
            return (image, try Self.isShared(db, imageId: id, with: viewer))
        }
    }

    public func createImage(_ image: NewImage, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                try Self.checkQuota(db, ownerId: image.ownerId, regionId: image.regionId, quota: quota)
                let id = self.identifiers.resourceID(prefix: "m-")
                let name = image.name ?? id
                try Self.checkNameFree(db, name: name, ownerId: image.ownerId, regionId: image.regionId)
                let (mappings, os) = try Self.diskMappings(for: image, in: db, ids: self.identifiers, now: now)
                let finalOS = OSProfile(
                    osType: os.osType, osName: os.osName, osNameEn: os.osNameEn, platform: image.platform ?? os.platform,
                    architecture: image.architecture ?? os.architecture)
                try Self.insertImage(
                    db, id: id, regionId: image.regionId, ownerId: image.ownerId, name: name, description: image.description,
                    os: finalOS, sizeGiB: mappings.first { $0.type == "system" }?.sizeGiB ?? 20, family: image.family,
                    version: image.version, bootMode: image.bootMode, copiedFrom: nil, mappings: mappings, tags: image.tags,
                    readyAt: image.readyAt, buildFails: image.buildFails, now: now)
                return [id]
            }[0]
        }
    }

    public func copyImage(_ copy: ImageCopyRequest, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                guard let source = try Self.fetchImage(db, id: copy.sourceImageId, regionId: copy.sourceRegionId, now: now, lock: .shared) else {
                    throw ECSError.imageNotFound
                }
                try ImageRules.checkCopyable(
                    source, by: copy.callerId, isSharedWithCaller: try Self.isShared(db, imageId: source.id, with: copy.callerId),
                    to: copy.destinationRegionId)
                try Self.checkQuota(db, ownerId: copy.callerId, regionId: copy.destinationRegionId, quota: quota)
                let id = self.identifiers.resourceID(prefix: "m-")
                let name: String
                if let requested = copy.name {
                    try Self.checkNameFree(db, name: requested, ownerId: copy.callerId, regionId: copy.destinationRegionId)
                    name = requested
                } else {
                    let taken = try Self.isNameTaken(db, name: source.name, ownerId: copy.callerId, regionId: copy.destinationRegionId)
                    name = taken ? "\(source.name)-\(id.dropFirst(2).prefix(8))" : source.name
                }
                // The copy gets its own snapshots in the destination region, owned by the copier.
                var mappings: [DiskDeviceMapping] = []
                for mapping in source.diskDeviceMappings {
                    let snapshotId = self.identifiers.resourceID(prefix: "s-")
                    try Self.insertSnapshot(
                        db, id: snapshotId, regionId: copy.destinationRegionId, ownerId: copy.callerId,
                        name: "copy of \(mapping.snapshotId)", description: "", diskId: "", diskType: mapping.type,
                        sizeGiB: mapping.sizeGiB, instanceId: "", imageId: source.id, os: source.osProfile, usage: "image", now: now)
                    mappings.append(DiskDeviceMapping(device: mapping.device, type: mapping.type, snapshotId: snapshotId, sizeGiB: mapping.sizeGiB))
                }
                try Self.insertImage(
                    db, id: id, regionId: copy.destinationRegionId, ownerId: copy.callerId, name: name,
                    description: copy.description ?? source.description, os: source.osProfile, sizeGiB: source.sizeGiB,
                    family: source.imageFamily, version: source.imageVersion, bootMode: source.bootMode,
                    copiedFrom: source.id, mappings: mappings, tags: copy.tags, readyAt: copy.readyAt, buildFails: copy.buildFails,
                    now: now)
                return [id]
            }[0]
        }
    }

    public func cancelCopy(imageId: String, regionId: String, callerId: String, now: Date) async throws {
        try await write { db in
            let image = try ImageRules.requireOwned(Self.fetchImage(db, id: imageId, regionId: regionId, now: now, lock: .exclusive), by: callerId)
            guard image.copiedFrom != nil else { throw ECSError.imageNotFromCopy }
            guard image.status == .creating else { throw ECSError.imageCopyFinished }
            let snapshots = image.diskDeviceMappings.map(\.snapshotId)
            try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [imageId])
            try db.execute(sql: "DELETE FROM snapshots WHERE id IN (\(placeholders(snapshots.count)))", arguments: snapshots)
        }
    }

    public func modifyImageAttributes(
        imageId: String, regionId: String, ownerId: String, changes: ImageAttributeChanges, now: Date
    ) async throws {
        try await write { db in
            let image = try ImageRules.requireOwned(Self.fetchImage(db, id: imageId, regionId: regionId, now: now, lock: .exclusive), by: ownerId)
            if let name = changes.name, name != image.name {
                try Self.checkNameFree(db, name: name, ownerId: ownerId, regionId: regionId)
            }
            if let status = changes.status, status != image.status {
                try ImageRules.checkStatusChange(image, to: status)
            }
            try db.execute(
                sql: """
                    UPDATE images SET name = COALESCE(?, name), description = COALESCE(?, description),
                    image_family = COALESCE(?, image_family), boot_mode = COALESCE(?, boot_mode), status = COALESCE(?, status)
                    WHERE id = ?
                    """,
                arguments: [changes.name, changes.description, changes.family, changes.bootMode, changes.status?.rawValue, imageId])
        }
    }

    public func deleteImage(imageId: String, regionId: String, ownerId: String, force: Bool, now: Date) async throws {
        try await write { db in
            let image = try ImageRules.requireOwned(Self.fetchImage(db, id: imageId, regionId: regionId, now: now, lock: .exclusive), by: ownerId)
            let copying = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM images WHERE copied_from = ? AND status = 'Creating' AND ready_at > ?)",
                arguments: [imageId, now.storeMillis]) ?? false
            let usedByOwner = try db.fetchOne(
                "SELECT 1 FROM disks WHERE image_id = ? AND type = 'system' AND owner_id = ?", [imageId, ownerId]) != nil
            try ImageRules.checkDeletable(image, usedByOwnerInstances: usedByOwner, force: force, isBeingCopied: copying)
            // Shares, tags and disk mappings go with it (ON DELETE CASCADE); its snapshots stay, as on ECS.
            try db.execute(sql: "DELETE FROM images WHERE id = ?", arguments: [imageId])
        }
    }

    public func modifySharePermission(
        imageId: String, regionId: String, ownerId: String, add: [String], remove: [String], isPublic: Bool?, now: Date
    ) async throws {
        try await write { db in
            // Accounts are never deleted, so this holds without a lock and is read before the image row is taken:
            // every statement while it is held makes other changes of the same image wait longer.
            let named = Array(Set(add.prefix(ImageRules.maxAccountsPerCall) + remove.prefix(ImageRules.maxAccountsPerCall)))
            let existing = named.isEmpty
                ? Set<String>()
                : Set(try String.fetchAll(db, sql: "SELECT id FROM accounts WHERE id IN (\(placeholders(named.count)))", arguments: named))
            // The sharing rules look at the owner, status and share count only: no disks or tags.
            let image = try ImageRules.requireOwned(
                Self.fetchImage(db, id: imageId, regionId: regionId, now: now, lock: .exclusive, details: false), by: ownerId,
                orThrow: .imageNotShareable)
            let current = Set(try String.fetchAll(db, sql: "SELECT account_id FROM image_shares WHERE image_id = ?", arguments: [imageId]))
            let change = try ImageRules.shareChange(
                image: image, owner: ownerId, add: add, remove: remove, current: current, existingAccounts: existing)
            if isPublic == true, !image.isPublic { try ImageRules.checkPublishable(image) }
            // SharedTime travels in whole seconds; storing it so keeps the order clients see (time, then ID).
            let sharedAt = Int64(now.timeIntervalSince1970.rounded(.down)) * 1000
            for account in change.add {
                try db.execute(
                    sql: "INSERT INTO image_shares (image_id, account_id, region_id, shared_at, image_created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [imageId, account, regionId, sharedAt, image.creationTime.storeMillis])
            }
            if !change.remove.isEmpty {
                var arguments: [any SQLBindable] = [imageId]
                arguments += change.remove
                try db.execute(
                    sql: "DELETE FROM image_shares WHERE image_id = ? AND account_id IN (\(placeholders(change.remove.count)))",
                    arguments: arguments)
            }
            try db.execute(
                sql: "UPDATE images SET share_count = share_count + ?, is_public = COALESCE(?, is_public) WHERE id = ?",
                arguments: [change.add.count - change.remove.count, isPublic, imageId])
        }
    }

    public func sharePermissions(
        imageId: String, regionId: String, ownerId: String, offset: Int, limit: Int
    ) async throws -> SharePermissionPage {
        try await read { db in
            // Only what the answer needs; this is read far more often than the image changes.
            guard
                let image = try SQLRow.fetchOne(
                    db, sql: "SELECT owner_id, share_count, is_public FROM images WHERE id = ? AND region_id = ?",
                    arguments: [imageId, regionId])
            else { throw ECSError.imageNotShareable }
            try ImageRules.requireOwner(try image.get("owner_id"), is: ownerId, orThrow: .imageNotShareable)
            let rows = try SQLRow.fetchAll(
                db,
                sql: "SELECT account_id, shared_at FROM image_shares WHERE image_id = ? ORDER BY shared_at, account_id LIMIT ? OFFSET ?",
                arguments: [imageId, limit, offset])
            return SharePermissionPage(
                accounts: try rows.map { (accountId: try $0.get("account_id"), sharedAt: Date(storeMillis: try $0.get("shared_at"))) },
                totalCount: try image.get("share_count"), isPublic: try image.get("is_public"))
        }
    }

    /// The recipient's plain listing (no criterion but the status) from the share index alone: every shared
    /// image is `Available` (sharing needs it, and a shared image can be neither deprecated nor deleted), so
    /// the count is the viewer's share entries in the region, and only the page's images are read.
    private static func sharedImagesPage(
        _ db: any SQLSession, in regionId: String, viewer: String, filter: ImageFilter, offset: Int, limit: Int, now: Date
    ) throws -> (images: [Image], totalCount: Int) {
        guard filter.statuses.contains(.available) else { return ([], 0) }
        let total = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM image_shares WHERE account_id = ? AND region_id = ?", arguments: [viewer, regionId]) ?? 0
        guard offset < total, limit > 0 else { return ([], total) }
        let images = try fetchImages(
            db,
            sql: """
                SELECT \(imageColumns) FROM image_shares s JOIN images i ON i.id = s.image_id
                WHERE s.account_id = ? AND s.region_id = ?
                ORDER BY s.image_created_at DESC, s.image_id DESC LIMIT ? OFFSET ?
                """,
            arguments: [now.storeMillis, viewer, regionId, limit, offset], now: now)
        return (images, total)
    }

    // MARK: Helpers inside a transaction

    static func isShared(_ db: any SQLSession, imageId: String, with accountId: String) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM image_shares WHERE image_id = ? AND account_id = ?)",
            arguments: [imageId, accountId]) ?? false
    }

    private static func imageWhere(
        regionId: String, scope: CustomImageScope, viewer: String, filter: ImageFilter, now: Date, dialect: SQLDialect
    ) -> WhereClause {
        var clause = WhereClause()
        // Each scope names the region inside an indexed lookup: an image of the viewer's is found through
        // (region, owner), a shared one through the recipient's (account, region) share index. A plain
        // `i.region_id = ?` beside them would tempt the planner into scanning the whole region.
        let shared = "SELECT image_id FROM image_shares WHERE account_id = ? AND region_id = ?"
        switch scope {
        case .own: clause.add("i.region_id = ? AND i.owner_id = ?", [regionId, viewer])
        case .sharedWithViewer: clause.add("i.id IN (\(shared))", [viewer, regionId])
        case .community: clause.add("i.region_id = ? AND i.is_public = 1 AND i.owner_id <> ?", [regionId, viewer])
        case .ownAndShared:
            clause.add(
                "i.id IN (SELECT id FROM images WHERE region_id = ? AND owner_id = ? UNION ALL \(shared))",
                [regionId, viewer, viewer, regionId])
        }
        if let ids = filter.imageIds { clause.add("i.id", in: Array(ids)) }
        if let owner = filter.ownerId { clause.add("i.owner_id = ?", [owner]) }
        let statuses = filter.statuses.map(\.rawValue).sorted()
        if statuses.isEmpty {
            clause.add("1 = 0")
        } else {
            clause.add("\(effectiveStatusSQL) IN (\(placeholders(statuses.count)))", [now.storeMillis] + statuses)
        }
        if let osType = filter.osType { clause.add("i.os_type = ?", [osType.rawValue]) }
        if let architecture = filter.architecture { clause.add("i.architecture = ?", [architecture.rawValue]) }
        if let runnable = filter.runnableArchitectures { clause.add("i.architecture", in: runnable.map(\.rawValue).sorted()) }
        if let snapshotId = filter.snapshotId {
            clause.add("EXISTS (SELECT 1 FROM image_disks m WHERE m.image_id = i.id AND m.snapshot_id = ?)", [snapshotId])
        }
        if let family = filter.imageFamily { clause.add("i.image_family = ?", [family]) }
        if let name = filter.nameContains, !name.isEmpty {
            clause.add("i.name \(dialect.caseInsensitiveLike) ? ESCAPE '\\'", ["%" + likeEscaped(name) + "%"])
        }
        clause.addTags(filter.tags, TagTable(.image), idColumn: "i.id")
        if let from = filter.createdFrom { clause.add("i.created_at >= ?", [from.storeMillis]) }
        if let until = filter.createdUntil { clause.add("i.created_at <= ?", [until.storeMillis]) }
        if let inUse = filter.inUse {
            clause.add("\(inUse ? "" : "NOT ")EXISTS (SELECT 1 FROM disks d WHERE d.image_id = i.id AND d.type = 'system')")
        }
        return clause
    }

    private static func checkQuota(_ db: any SQLSession, ownerId: String, regionId: String, quota: Int) throws {
        try lockAccount(db, ownerId)
        let owned = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM images WHERE owner_id = ? AND region_id = ?", arguments: [ownerId, regionId]) ?? 0
        try ImageRules.checkQuota(ownedInRegion: owned, quota: quota)
    }

    private static func isNameTaken(_ db: any SQLSession, name: String, ownerId: String, regionId: String) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM images WHERE owner_id = ? AND region_id = ? AND name = ?)",
            arguments: [ownerId, regionId, name]) ?? false
    }

    private static func checkNameFree(_ db: any SQLSession, name: String, ownerId: String, regionId: String) throws {
        if try isNameTaken(db, name: name, ownerId: ownerId, regionId: regionId) { throw ECSError.imageNameDuplicated }
    }

    static func insertImage(
        _ db: any SQLSession, id: String, regionId: String, ownerId: String, name: String, description: String, os: OSProfile,
        sizeGiB: Int, family: String, version: String, bootMode: String, copiedFrom: String?,
        mappings: [DiskDeviceMapping], tags: [ResourceTag], readyAt: Date, buildFails: Bool = false, now: Date
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO images (id, region_id, owner_id, name, description, status, created_at, ready_at, os_type, os_name,
                    os_name_en, platform, architecture, size_gib, image_family, image_version, boot_mode, copied_from, build_fails)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                // A failing build stays `Creating` in the row; reads turn it into `CreateFailed` at `ready_at`.
                id, regionId, ownerId, name, description, readyAt > now || buildFails ? "Creating" : "Available", now.storeMillis,
                max(readyAt, now).storeMillis, os.osType.rawValue, os.osName, os.osNameEn, os.platform,
                os.architecture.rawValue, sizeGiB, family, version, bootMode, copiedFrom, buildFails,
            ])
        for (position, mapping) in mappings.enumerated() {
            try db.execute(
                sql: "INSERT INTO image_disks (image_id, position, device, type, snapshot_id, size_gib) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, position, mapping.device, mapping.type, mapping.snapshotId, mapping.sizeGiB])
        }
        try TagTable(.image).insert(tags, for: id, in: db)
    }
}
