import Foundation
import ImageShareCore

extension SQLStore: InstanceStore {
    public func launchInstances(_ launch: LaunchRequest, quota: Int, idempotency: IdempotencyKey?, now: Date) async throws -> [String] {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                try Self.checkLaunchable(db, image: launch.image, by: launch.ownerId, regionId: launch.regionId, now: now)
                // The account row is locked (idempotency or here), so two launches cannot both fit the last places.
                try Self.lockAccount(db, launch.ownerId)
                let owned = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM instances WHERE owner_id = ? AND region_id = ?",
                    arguments: [launch.ownerId, launch.regionId]) ?? 0
                try InstanceRules.checkQuota(ownedInRegion: owned, adding: launch.amount, quota: quota)
                try Self.checkSecurityGroups(db, launch.securityGroupIds, ownerId: launch.ownerId, regionId: launch.regionId)
                for snapshotId in launch.dataDisks.compactMap(\.snapshotId) {
                    _ = try Self.ownedSnapshot(db, id: snapshotId, ownerId: launch.ownerId, regionId: launch.regionId)
                }
                var ids: [String] = []
                for index in 0..<launch.amount {
                    let id = self.identifiers.resourceID(prefix: "i-")
                    ids.append(id)
                    let name = launch.name.map { launch.amount > 1 ? "\($0)-\(index + 1)" : $0 } ?? id
                    let status = launch.startRunning ? InstanceStatus.running : .stopped
                    try db.execute(
                        sql: """
                            INSERT INTO instances (id, region_id, zone_id, owner_id, name, description, host_name, instance_type,
                                image_id, status, created_at, started_at, security_group_ids, vswitch_id, vpc_id, private_ip,
                                charge_type, os_type, os_name, os_name_en, user_data, public_ip, internet_charge_type,
                                max_bandwidth_out, max_bandwidth_in, key_pair_name)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            id, launch.regionId, launch.zoneId, launch.ownerId, name, launch.description,
                            launch.hostName ?? "iZ\(id.dropFirst(2))Z", launch.instanceType.id, launch.image.id, status.rawValue,
                            now.storeMillis, launch.startRunning ? now.storeMillis : nil,
                            launch.securityGroupIds.joined(separator: ","), launch.vSwitchId,
                            launch.vSwitchId.isEmpty ? "" : "vpc-" + id.dropFirst(2), Self.privateIp(for: id),
                            launch.chargeType, launch.image.os.osType.rawValue, launch.image.os.osName, launch.image.os.osNameEn,
                            launch.userData,
                            // RunInstances with public bandwidth assigns a public IP; CreateInstance waits for AllocatePublicIpAddress.
                            launch.startRunning && launch.network.maxBandwidthOut > 0 ? Self.publicIp(for: id) : "",
                            launch.network.internetChargeType, launch.network.maxBandwidthOut, launch.network.maxBandwidthIn,
                            launch.network.keyPairName,
                        ])
                    try TagTable(.instance).insert(launch.tags, for: id, in: db)
                    try Self.insertDisk(
                        db, instanceId: id, launch: launch, type: "system", device: "/dev/xvda", sizeGiB: launch.systemDiskSizeGiB,
                        category: launch.systemDiskCategory, imageId: launch.image.id, snapshotId: "", deleteWithInstance: true,
                        id: self.identifiers.resourceID(prefix: "d-"), now: now)
                    for (position, dataDisk) in launch.dataDisks.enumerated() {
                        if let snapshotId = dataDisk.snapshotId { try Self.markSnapshotUsed(db, id: snapshotId, by: "disk") }
                        try Self.insertDisk(
                            db, instanceId: id, launch: launch, type: "data",
                            device: "/dev/xvd" + String(UnicodeScalar(UInt8(ascii: "b") + UInt8(position))),
                            sizeGiB: dataDisk.sizeGiB, category: dataDisk.category, imageId: "", snapshotId: dataDisk.snapshotId ?? "",
                            deleteWithInstance: dataDisk.deleteWithInstance, id: self.identifiers.resourceID(prefix: "d-"), now: now)
                    }
                }
                return ids
            }
        }
    }

    public func instances(in regionId: String, ownerId: String, filter: InstanceFilter, offset: Int, limit: Int) async throws
        -> (instances: [Instance], totalCount: Int)
    {
        try await read { db in
            var clause = WhereClause()
            clause.add("region_id = ? AND owner_id = ?", [regionId, ownerId])
            if let ids = filter.ids { clause.add("id", in: ids) }
            if let imageId = filter.imageId { clause.add("image_id = ?", [imageId]) }
            if let status = filter.status { clause.add("status = ?", [status.rawValue]) }
            if let pattern = filter.namePattern {
                clause.add("name \(db.dialect.caseInsensitiveLike) ? ESCAPE '\\'", [likeEscaped(pattern).replacingOccurrences(of: "*", with: "%")])
            }
            Self.addCriteria(of: filter, to: &clause)
            let (rows, total) = try clause.page(of: "instances", in: db, offset: offset, limit: limit)
            return (try Self.instances(from: rows, db: db), total)
        }
    }

    public func instance(id: String, ownerId: String) async throws -> Instance? {
        try await read { db in
            try Self.instances(
                from: SQLRow.fetchAll(db, sql: "SELECT * FROM instances WHERE id = ? AND owner_id = ?", arguments: [id, ownerId]), db: db
            ).first
        }
    }

    public func transitionInstance(
        id: String, ownerId: String, from allowed: Set<InstanceStatus>, to status: InstanceStatus, now: Date
    ) async throws {
        try await write { db in
            guard let current = try String.fetchOne(
                db, sql: "SELECT status FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", arguments: [id, ownerId])
            else { throw ECSError.instanceNotFound }
            guard let currentStatus = InstanceStatus(rawValue: current), allowed.contains(currentStatus) else {
                throw ECSError.incorrectInstanceStatus
            }
            // A start records its time; other transitions keep the last one.
            if status == .running {
                try db.execute(
                    sql: "UPDATE instances SET status = ?, started_at = ? WHERE id = ?", arguments: [status.rawValue, now.storeMillis, id])
            } else {
                try db.execute(sql: "UPDATE instances SET status = ? WHERE id = ?", arguments: [status.rawValue, id])
            }
        }
    }

    public func deleteInstance(id: String, ownerId: String, force: Bool) async throws {
        try await write { db in
            guard let current = try String.fetchOne(
                db, sql: "SELECT status FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", arguments: [id, ownerId])
            else { throw ECSError.instanceNotFound }
            guard force || current == InstanceStatus.stopped.rawValue else { throw ECSError.incorrectInstanceStatus }
            try db.execute(sql: "DELETE FROM disks WHERE instance_id = ? AND delete_with_instance = 1", arguments: [id])
            try db.execute(
                sql: "UPDATE disks SET status = 'Available', device = '', attached_at = NULL WHERE instance_id = ?", arguments: [id])
            // Remaining data disks are detached by ON DELETE SET NULL.
            try db.execute(sql: "DELETE FROM instances WHERE id = ?", arguments: [id])
        }
    }

    public func replaceSystemDisk(
        instanceId: String, ownerId: String, image: LaunchImage, sizeGiB: Int?, idempotency: IdempotencyKey?, now: Date
    ) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                guard let instance = try SQLRow.fetchOne(
                    db, sql: "SELECT * FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", arguments: [instanceId, ownerId])
                else { throw ECSError.instanceNotFound }
                guard try instance.get("status") as String == InstanceStatus.stopped.rawValue else { throw ECSError.incorrectInstanceStatus }
                try Self.checkLaunchable(db, image: image, by: ownerId, regionId: try instance.get("region_id", as: String.self), now: now)
                let old = try SQLRow.fetchOne(
                    db, sql: "SELECT * FROM disks WHERE instance_id = ? AND type = 'system'", arguments: [instanceId])
                let size = try sizeGiB ?? max(image.sizeGiB, old?.get("size_gib", as: Int.self) ?? 20)
                guard size >= image.sizeGiB else { throw ECSError.systemDiskTooSmall }
                try db.execute(sql: "DELETE FROM disks WHERE instance_id = ? AND type = 'system'", arguments: [instanceId])
                let id = self.identifiers.resourceID(prefix: "d-")
                try db.execute(
                    sql: """
                        INSERT INTO disks (id, region_id, zone_id, owner_id, instance_id, name, type, category, size_gib, device,
                            status, image_id, image_owner_id, source_snapshot_id, delete_with_instance, created_at, attached_at,
                            os_type, os_name, os_name_en, platform, architecture)
                        VALUES (?, ?, ?, ?, ?, ?, 'system', ?, ?, '/dev/xvda', 'In_use', ?, ?, '', 1, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, try instance.get("region_id", as: String.self), try instance.get("zone_id", as: String.self), ownerId, instanceId, "", try old?.get("category", as: String.self) ?? "cloud_essd",
                        size, image.id, image.ownerId ?? "", now.storeMillis, now.storeMillis, image.os.osType.rawValue, image.os.osName,
                        image.os.osNameEn, image.os.platform, image.os.architecture.rawValue,
                    ])
                try db.execute(
                    sql: "UPDATE instances SET image_id = ?, os_type = ?, os_name = ?, os_name_en = ? WHERE id = ?",
                    arguments: [image.id, image.os.osType.rawValue, image.os.osName, image.os.osNameEn, instanceId])
                return [id]
            }[0]
        }
    }

    public func disk(id: String, ownerId: String) async throws -> Disk? {
        try await read { db in
            try Self.disks(from: Self.diskRow(db, id: id, ownerId: ownerId).map { [$0] } ?? [], db: db).first
        }
    }

    public func disks(in regionId: String, ownerId: String, filter: DiskFilter, offset: Int, limit: Int) async throws
        -> (disks: [Disk], totalCount: Int)
    {
        try await read { db in
            var clause = WhereClause()
            clause.add("region_id = ? AND owner_id = ?", [regionId, ownerId])
            if let ids = filter.ids { clause.add("id", in: ids) }
            if let instanceId = filter.instanceId { clause.add("instance_id = ?", [instanceId]) }
            if let type = filter.type { clause.add("type = ?", [type]) }
            if let status = filter.status { clause.add("status = ?", [status]) }
            Self.addCriteria(of: filter, to: &clause)
            let (rows, total) = try clause.page(of: "disks", in: db, offset: offset, limit: limit)
            return (try Self.disks(from: rows, db: db), total)
        }
    }

    public func createSnapshot(
        diskId: String, ownerId: String, name: String?, description: String, idempotency: IdempotencyKey?, now: Date
    ) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                guard let disk = try Self.diskRow(db, id: diskId, ownerId: ownerId) else { throw ECSError.diskNotFound }
                let id = self.identifiers.resourceID(prefix: "s-")
                try Self.insertSnapshot(
                    db, id: id, regionId: try disk.get("region_id"), ownerId: ownerId, name: name ?? id, description: description,
                    diskId: diskId, diskType: try disk.get("type"), sizeGiB: try disk.get("size_gib"), instanceId: try disk.get("instance_id") ?? "",
                    imageId: try disk.get("image_id"), os: try Self.osProfile(from: disk), usage: "none", now: now)
                return [id]
            }[0]
        }
    }

    /// The caller's disk row, or nil: another account's disk looks like no disk at all.
    static func diskRow(_ db: any SQLSession, id: String, ownerId: String) throws -> SQLRow? {
        try SQLRow.fetchOne(db, sql: "SELECT * FROM disks WHERE id = ? AND owner_id = ?", arguments: [id, ownerId])
    }

    public func snapshots(in regionId: String, ownerId: String, filter: SnapshotFilter, offset: Int, limit: Int) async throws
        -> (snapshots: [Snapshot], totalCount: Int)
    {
        try await read { db in
            var clause = WhereClause()
            clause.add("region_id = ? AND owner_id = ?", [regionId, ownerId])
            if let ids = filter.ids { clause.add("id", in: ids) }
            if let diskId = filter.diskId { clause.add("source_disk_id = ?", [diskId]) }
            if let instanceId = filter.instanceId { clause.add("source_instance_id = ?", [instanceId]) }
            Self.addCriteria(of: filter, to: &clause)
            let (rows, total) = try clause.page(of: "snapshots", in: db, offset: offset, limit: limit)
            let tags = try TagTable(.snapshot).tags(of: try rows.map { try $0.get("id") }, in: db)
            return (try rows.map { row in
                var snapshot = try Self.snapshot(from: row)
                snapshot.tags = tags[snapshot.id] ?? []
                return snapshot
            }, total)
        }
    }

    // MARK: Helpers

    /// Re-checks inside the transaction that a custom image is still usable by `accountId` (S8, S11, S14).
    private static func checkLaunchable(_ db: any SQLSession, image: LaunchImage, by accountId: String, regionId: String, now: Date) throws {
        guard image.ownerId != nil else { return }
        guard let current = try fetchImage(db, id: image.id, regionId: regionId, now: now, lock: .shared),
            ImageRules.canLaunch(current, by: accountId, isSharedWithViewer: try isShared(db, imageId: image.id, with: accountId))
        else { throw ECSError.imageNotFound }
    }

    private static func insertDisk(
        _ db: any SQLSession, instanceId: String, launch: LaunchRequest, type: String, device: String, sizeGiB: Int, category: String,
        imageId: String, snapshotId: String, deleteWithInstance: Bool, id: String, now: Date
    ) throws {
        let os = launch.image.os
        try db.execute(
            sql: """
                INSERT INTO disks (id, region_id, zone_id, owner_id, instance_id, name, type, category, size_gib, device, status,
                    image_id, image_owner_id, source_snapshot_id, delete_with_instance, created_at, attached_at, os_type, os_name,
                    os_name_en, platform, architecture)
                VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, 'In_use', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, launch.regionId, launch.zoneId, launch.ownerId, instanceId, type, category,
                sizeGiB, device, imageId, imageId.isEmpty ? "" : (launch.image.ownerId ?? ""), snapshotId, deleteWithInstance, now.storeMillis, now.storeMillis, os.osType.rawValue,
                os.osName, os.osNameEn, os.platform, os.architecture.rawValue,
            ])
    }

    /// A stable public address derived from the instance ID (47.0.0.0/8, where Alibaba Cloud's addresses are).
    static func publicIp(for id: String) -> String {
        let bytes = Array(id.utf8)
        return "47.\(Int(bytes[5])).\(Int(bytes[6])).\(Int(bytes[7]) % 254 + 1)"
    }

    /// A stable private address in 172.16.0.0/12 derived from the instance ID.
    static func privateIp(for id: String) -> String {
        let bytes = Array(id.utf8)
        let a = Int(bytes[2]) % 16, b = Int(bytes[3]), c = Int(bytes[4]) % 254 + 1
        return "172.\(16 + a).\(b).\(c)"
    }

    /// Instances from their rows, tags included (one query for all of them).
    static func instances(from rows: [SQLRow], db: any SQLSession) throws -> [Instance] {
        let tags = try TagTable(.instance).tags(of: try rows.map { try $0.get("id") }, in: db)
        return try rows.map { row in
            let id: String = try row.get("id")
            let type: String = try row.get("instance_type")
            let groups: String = try row.get("security_group_ids")
            var instance = Instance(
                id: id, regionId: try row.get("region_id"), zoneId: try row.get("zone_id"), ownerId: try row.get("owner_id"), name: try row.get("name"),
                description: try row.get("description"), hostName: try row.get("host_name"),
                instanceType: InstanceType.catalogue[type] ?? InstanceType(id: type, cpu: 2, memoryMiB: 4_096),
                imageId: try row.get("image_id"), status: InstanceStatus(rawValue: try row.get("status")) ?? .stopped,
                creationTime: Date(storeMillis: try row.get("created_at")), startTime: (try row.get("started_at") as Int64?).map(Date.init(storeMillis:)),
                securityGroupIds: groups.isEmpty ? [] : groups.split(separator: ",").map(String.init), vSwitchId: try row.get("vswitch_id"),
                vpcId: try row.get("vpc_id"), privateIp: try row.get("private_ip"), chargeType: try row.get("charge_type"), osType: try row.get("os_type"),
                osName: try row.get("os_name"), osNameEn: try row.get("os_name_en"), tags: tags[id] ?? [])
            instance.userData = try row.get("user_data")
            instance.publicIp = try row.get("public_ip")
            instance.network = InstanceNetwork(
                internetChargeType: try row.get("internet_charge_type"), maxBandwidthOut: try row.get("max_bandwidth_out"),
                maxBandwidthIn: try row.get("max_bandwidth_in"), keyPairName: try row.get("key_pair_name"))
            return instance
        }
    }

    /// Disks from their rows, tags included.
    static func disks(from rows: [SQLRow], db: any SQLSession) throws -> [Disk] {
        let tags = try TagTable(.disk).tags(of: try rows.map { try $0.get("id") }, in: db)
        return try rows.map { row in
            var disk = try disk(from: row)
            disk.tags = tags[disk.id] ?? []
            return disk
        }
    }

    private static func disk(from row: SQLRow) throws -> Disk {
        Disk(
            id: try row.get("id"), regionId: try row.get("region_id"), zoneId: try row.get("zone_id"), ownerId: try row.get("owner_id"), instanceId: try row.get("instance_id"),
            name: try row.get("name"), type: try row.get("type"), category: try row.get("category"), sizeGiB: try row.get("size_gib"), device: try row.get("device"),
            status: try row.get("status"), imageId: try row.get("image_id"), imageOwnerId: try row.get("image_owner_id"), sourceSnapshotId: try row.get("source_snapshot_id"),
            deleteWithInstance: try row.get("delete_with_instance"), creationTime: Date(storeMillis: try row.get("created_at")),
            attachedTime: (try row.get("attached_at") as Int64?).map(Date.init(storeMillis:)),
            description: try row.get("description"), detachedTime: (try row.get("detached_at") as Int64?).map(Date.init(storeMillis:)))
    }

    private static func snapshot(from row: SQLRow) throws -> Snapshot {
        Snapshot(
            id: try row.get("id"), regionId: try row.get("region_id"), ownerId: try row.get("owner_id"), name: try row.get("name"), description: try row.get("description"),
            sourceDiskId: try row.get("source_disk_id"), sourceDiskType: try row.get("source_disk_type"), sourceDiskSizeGiB: try row.get("source_disk_size"),
            sourceImageId: try row.get("source_image_id"), creationTime: Date(storeMillis: try row.get("created_at")), usage: try row.get("usage"))
    }
}
