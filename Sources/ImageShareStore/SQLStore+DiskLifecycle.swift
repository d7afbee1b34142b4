import Foundation
import ImageShareCore

/// What happens to instances after launch (attributes, public IPs) and to disks and snapshots on their own.
extension SQLStore {
    public func modifyInstance(id: String, ownerId: String, changes: InstanceAttributeChanges) async throws {
        try await write { db in
            guard let row = try db.fetchOne(
                "SELECT region_id, status FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [id, ownerId])
            else { throw ECSError.instanceNotFound }
            // User data is read at boot: ECS changes it only on a stopped instance.
            if changes.userData != nil, try row.get("status") as String != InstanceStatus.stopped.rawValue {
                throw ECSError.incorrectInstanceStatus
            }
            var assignments: [String] = []
            var arguments: [any SQLBindable] = []
            for (column, value) in [
                ("name", changes.name), ("description", changes.description), ("host_name", changes.hostName),
                ("user_data", changes.userData),
            ] {
                if let value {
                    assignments.append("\(column) = ?")
                    arguments.append(value)
                }
            }
            if let groups = changes.securityGroupIds {
                try Self.checkSecurityGroups(db, groups, ownerId: ownerId, regionId: try row.get("region_id"))
                assignments.append("security_group_ids = ?")
                arguments.append(groups.joined(separator: ","))
            }
            guard !assignments.isEmpty else { return }
            try db.execute("UPDATE instances SET \(assignments.joined(separator: ", ")) WHERE id = ?", arguments + [id])
        }
    }

    public func allocatePublicIp(instanceId: String, ownerId: String) async throws -> String {
        try await write { db in
            guard let row = try db.fetchOne(
                "SELECT status, public_ip, max_bandwidth_out FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)",
                [instanceId, ownerId])
            else { throw ECSError.instanceNotFound }
            let status: String = try row.get("status")
            try InstanceRules.checkSettled(status)
            // One public IP per instance: asking again returns the one it has, as ECS does.
            let current: String = try row.get("public_ip")
            guard current.isEmpty else { return current }
            guard try row.get("max_bandwidth_out") as Int > 0 else { throw ECSError.publicBandwidthRequired }
            let address = Self.publicIp(for: instanceId)
            try db.execute("UPDATE instances SET public_ip = ? WHERE id = ?", [address, instanceId])
            return address
        }
    }

    public func createDisk(_ disk: NewDisk, idempotency: IdempotencyKey?, now: Date) async throws -> String {
        try await write { db in
            try Self.idempotent(db, idempotency, now: now) {
                var size = disk.sizeGiB
                var os = OSProfile(osType: .linux, osName: "", osNameEn: "", platform: "", architecture: .x86_64)
                if let snapshotId = disk.snapshotId {
                    let snapshot = try Self.ownedSnapshot(db, id: snapshotId, ownerId: disk.ownerId, regionId: disk.regionId)
                    let snapshotSize: Int = try snapshot.get("source_disk_size")
                    if let requested = size, requested < snapshotSize { throw ECSError.diskSmallerThanSnapshot }
                    size = size ?? snapshotSize
                    os = try Self.osProfile(from: snapshot)
                    try Self.markSnapshotUsed(db, id: snapshotId, by: "disk")
                }
                guard let size else { throw ECSError.missingParameter("Size") }
                let id = self.identifiers.resourceID(prefix: "d-")
                try db.execute(
                    """
                    INSERT INTO disks (id, region_id, zone_id, owner_id, instance_id, name, type, category, size_gib, device, status,
                        image_id, image_owner_id, source_snapshot_id, delete_with_instance, created_at, attached_at, os_type, os_name,
                        os_name_en, platform, architecture, description)
                    VALUES (?, ?, ?, ?, NULL, ?, 'data', ?, ?, '', 'Available', '', '', ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        id, disk.regionId, disk.zoneId, disk.ownerId, disk.name, disk.category, size, disk.snapshotId ?? "", false,
                        now.storeMillis, os.osType.rawValue, os.osName, os.osNameEn, os.platform, os.architecture.rawValue,
                        disk.description,
                    ])
                try TagTable(.disk).insert(disk.tags, for: id, in: db)
                return [id]
            }[0]
        }
    }

    public func attachDisk(diskId: String, instanceId: String, ownerId: String, deleteWithInstance: Bool?, now: Date) async throws {
        try await write { db in
            guard let disk = try db.fetchOne("SELECT * FROM disks WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [diskId, ownerId])
            else { throw ECSError.diskNotFound }
            guard let instance = try db.fetchOne(
                "SELECT zone_id, status FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [instanceId, ownerId])
            else { throw ECSError.instanceNotFound }
            guard try disk.get("status") as String == "Available" else { throw ECSError.incorrectDiskStatus }
            let status: String = try instance.get("status")
            try InstanceRules.checkSettled(status)
            guard try disk.get("zone_id") as String == instance.get("zone_id") as String else { throw ECSError.diskZoneMismatch }
            let used = Set(try db.fetchAll("SELECT device FROM disks WHERE instance_id = ?", [instanceId]).map { try $0.get("device") as String })
            // Data disks take /dev/xvdb … /dev/xvdq: 16 of them, as on ECS.
            guard let device = (UInt8(ascii: "b")...UInt8(ascii: "q")).lazy
                .map({ "/dev/xvd" + String(UnicodeScalar($0)) }).first(where: { !used.contains($0) })
            else { throw ECSError.instanceDiskLimitExceeded }
            try db.execute(
                """
                UPDATE disks SET instance_id = ?, device = ?, status = 'In_use', attached_at = ?, detached_at = NULL,
                    delete_with_instance = ? WHERE id = ?
                """,
                [instanceId, device, now.storeMillis, deleteWithInstance ?? (try disk.get("delete_with_instance") as Bool), diskId])
        }
    }

    public func detachDisk(diskId: String, instanceId: String, ownerId: String, now: Date) async throws {
        try await write { db in
            guard let disk = try db.fetchOne("SELECT * FROM disks WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [diskId, ownerId])
            else { throw ECSError.diskNotFound }
            guard let status = try db.fetchValue(
                "SELECT status FROM instances WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [instanceId, ownerId], as: String.self)
            else { throw ECSError.instanceNotFound }
            guard try disk.get("instance_id") as String? == instanceId else { throw ECSError.diskNotAttachedThere }
            guard try disk.get("type") as String == "data" else { throw ECSError.systemDiskNotDetachable }
            try InstanceRules.checkSettled(status)
            try db.execute(
                "UPDATE disks SET instance_id = NULL, device = '', status = 'Available', detached_at = ? WHERE id = ?",
                [now.storeMillis, diskId])
        }
    }

    public func deleteDisk(id: String, ownerId: String) async throws {
        try await write { db in
            guard let status = try db.fetchValue(
                "SELECT status FROM disks WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [id, ownerId], as: String.self)
            else { throw ECSError.diskNotFound }
            guard status == "Available" else { throw ECSError.incorrectDiskStatus }
            try db.execute("DELETE FROM disks WHERE id = ?", [id])
        }
    }

    public func modifyDisk(id: String, ownerId: String, changes: DiskAttributeChanges) async throws {
        try await write { db in
            guard try db.fetchOne("SELECT id FROM disks WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [id, ownerId]) != nil
            else { throw ECSError.diskNotFound }
            if let name = changes.name { try db.execute("UPDATE disks SET name = ? WHERE id = ?", [name, id]) }
            if let description = changes.description { try db.execute("UPDATE disks SET description = ? WHERE id = ?", [description, id]) }
            if let flag = changes.deleteWithInstance {
                try db.execute("UPDATE disks SET delete_with_instance = ? WHERE id = ?", [flag, id])
            }
        }
    }

    public func deleteSnapshot(id: String, ownerId: String, force: Bool) async throws {
        try await write { db in
            guard try db.fetchOne("SELECT id FROM snapshots WHERE id = ? AND owner_id = ?\(db.dialect.forUpdate)", [id, ownerId]) != nil
            else { throw ECSError.snapshotNotFound }
            // An image's disks are made from its snapshots: they stay while the image exists.
            if try db.fetchOne("SELECT 1 FROM image_disks WHERE snapshot_id = ?", [id]) != nil {
                throw ECSError.snapshotUsedByImage
            }
            if !force, try db.fetchOne("SELECT 1 FROM disks WHERE source_snapshot_id = ?", [id]) != nil {
                throw ECSError.snapshotUsedByDisk
            }
            try db.execute("DELETE FROM snapshots WHERE id = ?", [id])
        }
    }
}
