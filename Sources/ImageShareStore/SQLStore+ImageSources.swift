import Foundation
import ImageShareCore

extension SQLStore {
    /// The disks of a new image and the OS it carries, from an instance, a snapshot or explicit mappings.
    /// Snapshots taken on the way are inserted in the same transaction.
    static func diskMappings(for image: NewImage, in db: any SQLSession, ids: IdentifierGenerator, now: Date) throws -> ([DiskDeviceMapping], OSProfile) {
        switch image.source {
        case let .instance(instanceId):
            guard let status = try String.fetchOne(
                db, sql: "SELECT status FROM instances WHERE id = ? AND owner_id = ? AND region_id = ?\(db.dialect.forUpdate)",
                arguments: [instanceId, image.ownerId, image.regionId])
            else { throw ECSError.instanceNotFound }
            try InstanceRules.checkSettled(status, orThrow: .incorrectInstanceStatusForImage)
            let disks = try SQLRow.fetchAll(
                db, sql: "SELECT * FROM disks WHERE instance_id = ? ORDER BY type DESC, device", arguments: [instanceId])
            var mappings: [DiskDeviceMapping] = []
            var os: OSProfile?
            for disk in disks {
                let snapshotId = ids.resourceID(prefix: "s-")
                let diskOS = try osProfile(from: disk)
                try insertSnapshot(
                    db, id: snapshotId, regionId: image.regionId, ownerId: image.ownerId, name: "image source \(snapshotId)",
                    description: "", diskId: try disk.get("id"), diskType: try disk.get("type"), sizeGiB: try disk.get("size_gib"),
                    instanceId: instanceId, imageId: try disk.get("image_id"), os: diskOS, usage: "image", now: now)
                if try disk.get("type") as String == "system" { os = diskOS }
                mappings.append(DiskDeviceMapping(device: try disk.get("device"), type: try disk.get("type"), snapshotId: snapshotId, sizeGiB: try disk.get("size_gib")))
            }
            guard let os else { throw ECSError.incorrectInstanceStatusForImage }
            return (mappings, os)

        case let .snapshot(snapshotId):
            let snapshot = try ownedSnapshot(db, id: snapshotId, ownerId: image.ownerId, regionId: image.regionId)
            guard try snapshot.get("source_disk_type") as String == "system" else { throw ECSError.snapshotNotSystemDisk }
            try markSnapshotUsed(db, id: snapshotId, by: "image")
            return ([DiskDeviceMapping(device: "/dev/xvda", type: "system", snapshotId: snapshotId, sizeGiB: try snapshot.get("source_disk_size"))],
                    try osProfile(from: snapshot))

        case let .mappings(requests):
            let systems = requests.filter { $0.type == "system" }
            guard systems.count == 1, let system = systems.first, let systemSnapshot = system.snapshotId else {
                throw ECSError.imageNeedsOneSystemSnapshot
            }
            var mappings: [DiskDeviceMapping] = []
            var os: OSProfile?
            var devices = Set<String>()
            var nextData = UInt8(ascii: "b")
            // The system disk comes first, as on ECS; data disks keep their order.
            for request in [system] + requests.filter({ $0.type != "system" }) {
                let device: String
                if let requested = request.device {
                    device = requested
                } else if request.type == "system" {
                    device = "/dev/xvda"
                } else {
                    device = "/dev/xvd" + String(UnicodeScalar(nextData))
                    nextData += 1
                }
                guard device.hasPrefix("/dev/xvd"), device.count == 9 else { throw ECSError.invalidDevice }
                guard devices.insert(device).inserted else { throw ECSError.deviceInUse }
                var size = request.sizeGiB
                if let snapshotId = request.snapshotId {
                    let snapshot = try ownedSnapshot(db, id: snapshotId, ownerId: image.ownerId, regionId: image.regionId)
                    let snapshotSize: Int = try snapshot.get("source_disk_size")
                    if let requested = size, requested < snapshotSize { throw ECSError.invalidMappingSize }
                    size = size ?? snapshotSize
                    if snapshotId == systemSnapshot { os = try osProfile(from: snapshot) }
                    try markSnapshotUsed(db, id: snapshotId, by: "image")
                }
                guard let size, (1...32_768).contains(size) else { throw ECSError.invalidMappingSize }
                mappings.append(DiskDeviceMapping(device: device, type: request.type, snapshotId: request.snapshotId ?? "", sizeGiB: size))
            }
            guard let os else { throw ECSError.imageNeedsOneSystemSnapshot }
            return (mappings, os)
        }
    }

    static func ownedSnapshot(_ db: any SQLSession, id: String, ownerId: String, regionId: String) throws -> SQLRow {
        guard let row = try SQLRow.fetchOne(
            db, sql: "SELECT * FROM snapshots WHERE id = ? AND owner_id = ? AND region_id = ?", arguments: [id, ownerId, regionId])
        else { throw ECSError.snapshotNotFound }
        return row
    }

    /// Records what a snapshot has been used for (`image`, `disk`, both as `image_disk`).
    static func markSnapshotUsed(_ db: any SQLSession, id: String, by use: String) throws {
        try db.execute(
            sql: """
                UPDATE snapshots SET usage = CASE
                    WHEN usage = 'none' OR usage = ? THEN ?
                    ELSE 'image_disk' END
                WHERE id = ?
                """,
            arguments: [use, use, id])
    }

    static func osProfile(from row: SQLRow) throws -> OSProfile {
        OSProfile(
            osType: OSType(rawValue: try row.get("os_type")) ?? .linux, osName: try row.get("os_name"), osNameEn: try row.get("os_name_en"),
            platform: try row.get("platform"), architecture: Architecture(rawValue: try row.get("architecture")) ?? .x86_64)
    }

    static func insertSnapshot(
        _ db: any SQLSession, id: String, regionId: String, ownerId: String, name: String, description: String, diskId: String,
        diskType: String, sizeGiB: Int, instanceId: String, imageId: String, os: OSProfile, usage: String, now: Date
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO snapshots (id, region_id, owner_id, name, description, source_disk_id, source_disk_type,
                    source_disk_size, source_instance_id, source_image_id, created_at, usage, os_type, os_name, os_name_en,
                    platform, architecture)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, regionId, ownerId, name, description, diskId, diskType, sizeGiB, instanceId, imageId, now.storeMillis,
                usage, os.osType.rawValue, os.osName, os.osNameEn, os.platform, os.architecture.rawValue,
            ])
    }
}
