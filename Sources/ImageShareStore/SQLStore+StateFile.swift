import Foundation
import ImageShareCore

/// State files: the fixtures a test server starts from and what `state export` writes, in one JSON format.
///
/// A state file holds the store's own rows, table by table (`"accounts": [{"id": …, "name": …}, …]`), so an
/// export replays exactly; hand-written fixtures may leave most columns out and get the defaults below.
/// AccessKey secrets travel in plain text (`"secret"`), sealed again with the importing store's key.
/// Import replaces the whole state in one transaction and checks what the API would: well-formed IDs and
/// names, known regions, references inside the file, at most 50 shares per image, none with the owner.
extension SQLStore: StateFileStore {
    static let stateFileFormat = "imageshare-state/1"

    /// Console sessions are not exported: a file should not carry what stands for a signed-in browser.
    static var stateFileTables: [String] { snapshotTables.reversed().filter { $0 != "console_sessions" } }

    /// A column's value when a fixture leaves it out, from the row so far and the import time (ms).
    typealias ColumnDefault = @Sendable (_ row: [String: SQLValue], _ now: Int64) -> SQLValue

    private static func fixed(_ value: some SQLBindable) -> ColumnDefault { { _, _ in value.sqlValue } }
    private static let atImport: ColumnDefault = { _, now in .integer(now) }
    private static func copy(_ column: String) -> ColumnDefault { { row, _ in row[column] ?? .null } }

    private static let ubuntu = PublicImageCatalogue(regions: RegionCatalogue(regions: [RegionCatalogue.builtInRegions[0]]))
        .images(in: RegionCatalogue.builtInRegions[0].id).first { $0.id.hasPrefix("ubuntu_22_04_x64") }!

    /// Defaults for the tables fixtures are written for; other tables are written out in full (as exported).
    static let stateFileDefaults: [String: [String: ColumnDefault]] = [
        "accounts": ["name": copy("id"), "created_at": atImport, "enabled": fixed(1)],
        "access_keys": ["enabled": fixed(1), "created_at": atImport],
        "images": [
            "name": copy("id"), "description": fixed(""), "status": fixed("Available"), "created_at": atImport,
            "ready_at": copy("created_at"), "os_type": fixed(ubuntu.osType.rawValue), "os_name": fixed(ubuntu.osName),
            "os_name_en": fixed(ubuntu.osNameEn), "platform": fixed(ubuntu.platform),
            "architecture": fixed(ubuntu.architecture.rawValue), "size_gib": fixed(ubuntu.sizeGiB), "image_family": fixed(""),
            "image_version": fixed(""), "boot_mode": fixed("BIOS"), "is_public": fixed(0), "build_fails": fixed(0),
        ],
        // The region is always the image's own (filled in after the rows are in).
        "image_shares": ["region_id": fixed(""), "shared_at": atImport, "image_created_at": fixed(0)],
        "instances": [
            "zone_id": { row, _ in
                guard case let .text(region) = row["region_id"] ?? .null else { return .null }
                return .text(RegionCatalogue.builtInRegions.first { $0.id == region }?.defaultZoneId ?? region + "-a")
            },
            "name": copy("id"), "description": fixed(""), "host_name": copy("id"), "instance_type": fixed("ecs.g7.large"),
            "status": fixed("Running"), "created_at": atImport, "started_at": copy("created_at"), "security_group_ids": fixed(""),
            "vswitch_id": fixed(""), "vpc_id": fixed(""),
            "private_ip": { row, _ in
                guard case let .text(id) = row["id"] ?? .null else { return .null }
                return .text(SQLStore.privateIp(for: id))
            },
            "charge_type": fixed("PostPaid"), "os_type": fixed(ubuntu.osType.rawValue), "os_name": fixed(ubuntu.osName),
            "os_name_en": fixed(ubuntu.osNameEn),
        ],
    ]

    /// Columns that hold an account's, image's … ID, and the table it must be in (the file is self-contained).
    static let stateFileReferences: [(table: String, column: String, parent: String)] = [
        ("access_keys", "account_id", "accounts"), ("images", "owner_id", "accounts"), ("image_shares", "image_id", "images"),
        ("image_shares", "account_id", "accounts"), ("image_disks", "image_id", "images"), ("image_tags", "image_id", "images"),
        ("instances", "owner_id", "accounts"), ("instance_tags", "instance_id", "instances"), ("disks", "owner_id", "accounts"),
        ("disks", "instance_id", "instances"), ("disk_tags", "disk_id", "disks"), ("snapshots", "owner_id", "accounts"),
        ("snapshot_tags", "snapshot_id", "snapshots"), ("security_groups", "owner_id", "accounts"),
        ("security_group_rules", "group_id", "security_groups"), ("security_group_tags", "security_group_id", "security_groups"),
        ("client_tokens", "account_id", "accounts"),
    ]

    /// At most this many rows in one file, all tables together.
    static let maxStateFileRows = 2_000_000

    // MARK: Export

    public func exportState() async throws -> [UInt8] {
        // Without a request's deadline: a whole store takes longer than any request may (as migrations do).
        let saved = try await engine.maintain { db in try Self.savedTables(Self.stateFileTables, in: db) }
        let tables = try saved.map { table -> (String, [[String: Any]]) in
                (table.name, try table.rows.map { row in
                    var object: [String: Any] = [:]
                    for (column, value) in zip(table.columns, row) {
                        switch value {
                        case .null: object[column] = NSNull()
                        case let .integer(number): object[column] = NSNumber(value: number)
                        case let .text(text): object[column] = text
                        case let .blob(data):
                            guard table.name == "access_keys", column == "secret_sealed" else {
                                throw StateFileError("\(table.name).\(column) holds binary data, which state files do not carry")
                            }
                            object["secret"] = try sealer.open(data)
                        }
                    }
                    return object
                })
        }
        var document: [String: Any] = ["format": Self.stateFileFormat]
        for (table, rows) in tables { document[table] = rows }
        if let position = identifiers.position { document["identifier_position"] = NSNumber(value: position) }
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        return Array(data) + [0x0A]
    }

    // MARK: Import

    public func importState(_ file: [UInt8], now: Date) async throws {
        let (tables, position) = try Self.parseStateFile(file, now: now.storeMillis, sealer: sealer)
        _ = try await engine.maintain { [identifiers] db in
            try Self.deleteReplaceableRows(in: db)
            for (table, rows) in tables {
                for (index, row) in rows.enumerated() {
                    do {
                        try Self.insert(into: table, columns: row.map(\.key), values: row.map(\.value), in: db)
                    } catch {
                        throw StateFileError("\(table) row \(index + 1): \(error)")
                    }
                }
            }
            try Self.completeImportedState(db, identifiers: identifiers, now: now)
            return 0
        }
        if let position { identifiers.position = position }
    }

    /// Derived values, filled in after the rows: each share's region and image time, each image's share count, and a system
    /// disk for each instance that came without one.
    private static func completeImportedState(_ db: any SQLSession, identifiers: IdentifierGenerator, now: Date) throws {
        try db.execute(
            """
            UPDATE image_shares SET region_id = (SELECT i.region_id FROM images i WHERE i.id = image_shares.image_id),
                image_created_at = (SELECT i.created_at FROM images i WHERE i.id = image_shares.image_id)
            """)
        try db.execute("UPDATE images SET share_count = (SELECT COUNT(*) FROM image_shares s WHERE s.image_id = images.id)")
        let bare = try db.fetchAll(
            """
            SELECT n.*, m.owner_id AS image_owner_id, m.size_gib AS image_size_gib, m.platform AS image_platform,
                m.architecture AS image_architecture
            FROM instances n LEFT JOIN images m ON m.id = n.image_id
            WHERE NOT EXISTS (SELECT 1 FROM disks d WHERE d.instance_id = n.id AND d.type = 'system')
            ORDER BY n.id
            """, [SQLValue]())
        let publicImages = PublicImageCatalogue(regions: .builtIn)
        for instance in bare {
            let regionId: String = try instance.get("region_id")
            let imageId: String = try instance.get("image_id")
            let publicImage = publicImages.image(id: imageId, in: regionId)
            let size = max(20, (try instance.get("image_size_gib") as Int?) ?? publicImage?.sizeGiB ?? 20)
            let created: Int64 = try instance.get("created_at")
            try db.execute(
                """
                INSERT INTO disks (id, region_id, zone_id, owner_id, instance_id, name, type, category, size_gib, device, status,
                    image_id, image_owner_id, source_snapshot_id, delete_with_instance, created_at, attached_at, os_type, os_name,
                    os_name_en, platform, architecture)
                VALUES (?, ?, ?, ?, ?, '', 'system', 'cloud_essd', ?, '/dev/xvda', 'In_use', ?, ?, '', 1, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    identifiers.resourceID(prefix: "d-"), regionId, try instance.get("zone_id") as String,
                    try instance.get("owner_id") as String, try instance.get("id") as String, size, imageId,
                    (try instance.get("image_owner_id") as String?) ?? "", created, created, try instance.get("os_type") as String,
                    try instance.get("os_name") as String, try instance.get("os_name_en") as String,
                    (try instance.get("image_platform") as String?) ?? publicImage?.platform ?? ubuntu.platform,
                    (try instance.get("image_architecture") as String?) ?? publicImage?.architecture.rawValue ?? "x86_64",
                ])
        }
    }

    /// The file's rows, parents first, with defaults filled in and every rule checked; and the identifier position.
    static func parseStateFile(_ file: [UInt8], now: Int64, sealer: SecretSealer) throws
        -> (tables: [(String, [[(key: String, value: SQLValue)]])], position: UInt64?)
    {
        guard let document = try? JSONSerialization.jsonObject(with: Data(file)) as? [String: Any] else {
            throw StateFileError("a state file is a JSON object")
        }
        guard document["format"] as? String == stateFileFormat else {
            throw StateFileError("a state file starts with \"format\": \"\(stateFileFormat)\"")
        }
        let known = Set(stateFileTables)
        for key in document.keys where key != "format" && key != "identifier_position" && !known.contains(key) {
            throw StateFileError("unknown key \"\(key)\"; a state file holds \(stateFileTables.joined(separator: ", "))")
        }
        var position: UInt64?
        if let value = document["identifier_position"] {
            guard let number = value as? NSNumber else { throw StateFileError("identifier_position must be a number") }
            position = number.uint64Value
        }
        var tables: [(String, [[(key: String, value: SQLValue)]])] = []
        var ids: [String: Set<String>] = [:]
        var rowCount = 0
        for table in stateFileTables {
            guard let value = document[table] else { continue }
            guard let objects = value as? [[String: Any]] else { throw StateFileError("\(table) must be a list of objects") }
            rowCount += objects.count
            guard rowCount <= maxStateFileRows else { throw StateFileError("a state file holds at most \(maxStateFileRows) rows") }
            var rows: [[(key: String, value: SQLValue)]] = []
            for (index, object) in objects.enumerated() {
                let place = "\(table) row \(index + 1)"
                var row: [String: SQLValue] = [:]
                for (column, raw) in object {
                    guard isColumnName(column) else { throw StateFileError("\(place): \"\(column)\" is not a column name") }
                    row[column] = try sqlValue(raw, column: column, place: place)
                }
                if table == "access_keys" {
                    guard case let .text(secret) = row.removeValue(forKey: "secret") ?? .null else {
                        throw StateFileError("\(place): an access key needs its \"secret\"")
                    }
                    row["secret_sealed"] = .blob(try sealer.seal(secret))
                    try checkKey(row, secret: secret, place: place)
                }
                // In name order, so that a default copying another column (ready_at ← created_at) reads it filled.
                for (column, fill) in (stateFileDefaults[table] ?? [:]).sorted(by: { $0.key < $1.key }) where row[column] == nil {
                    row[column] = fill(row, now)
                }
                try checkRow(table, row, place: place)
                if case let .text(id) = row["id"] ?? .null { ids[table, default: []].insert(id) }
                rows.append(row.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
            }
            tables.append((table, rows))
        }
        try checkReferences(tables, ids: ids)
        try checkShares(tables)
        return (tables, position)
    }

    private static func isColumnName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
            && name.utf8.first.map { (0x61...0x7A).contains($0) } == true
    }

    /// JSON to a column value: text, whole numbers (true and false are 1 and 0), null; `*_at` columns also take
    /// ISO 8601 times.
    private static func sqlValue(_ raw: Any, column: String, place: String) throws -> SQLValue {
        switch raw {
        case is NSNull: return .null
        case let text as String:
            if column.hasSuffix("_at"), let date = ISO8601DateFormatter().date(from: text) { return .integer(date.storeMillis) }
            guard text.utf8.count <= 65_536 else { throw StateFileError("\(place): \(column) is longer than 64 KiB") }
            return .text(text)
        case let number as NSNumber:
            let whole = number.int64Value
            guard number.doubleValue == Double(whole) else { throw StateFileError("\(place): \(column) must be a whole number") }
            return .integer(whole)
        default:
            throw StateFileError("\(place): \(column) must be text, a whole number, true/false or null")
        }
    }

    private static func text(_ row: [String: SQLValue], _ column: String) -> String? {
        if case let .text(value) = row[column] ?? .null { return value }
        return nil
    }

    private static func checkKey(_ row: [String: SQLValue], secret: String, place: String) throws {
        do {
            _ = try KnownAccount(name: "key", accountId: text(row, "account_id") ?? "", accessKeyId: text(row, "id") ?? "", accessKeySecret: secret)
        } catch {
            throw StateFileError("\(place): \(error.description)")
        }
    }

    /// The rules the API applies to the same fields.
    private static func checkRow(_ table: String, _ row: [String: SQLValue], place: String) throws {
        guard let id = text(row, "id") ?? text(row, "image_id") ?? text(row, "account_id") ?? text(row, "group_id")
            ?? text(row, "instance_id") ?? text(row, "disk_id") ?? text(row, "snapshot_id") ?? text(row, "security_group_id")
        else { throw StateFileError("\(place): the row has no ID") }
        if let region = text(row, "region_id"), table != "image_shares", !RegionCatalogue.builtInRegions.contains(where: { $0.id == region }) {
            throw StateFileError("\(place): unknown region \(region)")
        }
        switch table {
        case "accounts":
            guard Account.isWellFormedID(id) else { throw StateFileError("\(place): an account ID is 16 digits, not \"\(id)\"") }
            guard Account.isValidName(text(row, "name") ?? "") else { throw StateFileError("\(place): the account name is not valid") }
        case "images":
            guard id.hasPrefix("m-"), (3...64).contains(id.utf8.count) else { throw StateFileError("\(place): an image ID starts with m-") }
            guard TextRules.isValidImageName(text(row, "name") ?? "") || text(row, "name") == id else {
                throw StateFileError("\(place): the image name is not valid (2–128 characters, starting with a letter)")
            }
            if let description = text(row, "description"), !description.isEmpty, !TextRules.isValidDescription(description) {
                throw StateFileError("\(place): the description is not valid (2–256 characters, not a URL)")
            }
        case "instances":
            guard id.hasPrefix("i-"), (3...64).contains(id.utf8.count) else { throw StateFileError("\(place): an instance ID starts with i-") }
            guard text(row, "image_id")?.isEmpty == false else { throw StateFileError("\(place): an instance needs its image_id") }
        default:
            break
        }
    }

    private static func checkReferences(_ tables: [(String, [[(key: String, value: SQLValue)]])], ids: [String: Set<String>]) throws {
        for (table, rows) in tables {
            for reference in stateFileReferences where reference.table == table {
                for (index, row) in rows.enumerated() {
                    guard case let .text(target) = row.first(where: { $0.key == reference.column })?.value ?? .null else { continue }
                    guard ids[reference.parent]?.contains(target) == true else {
                        throw StateFileError("\(table) row \(index + 1): \(reference.column) \(target) is not in \(reference.parent)")
                    }
                }
            }
        }
    }

    /// S4 and the share rules: at most 50 accounts per image, never the owner, only finished images.
    private static func checkShares(_ tables: [(String, [[(key: String, value: SQLValue)]])]) throws {
        let images = tables.first { $0.0 == "images" }?.1 ?? []
        var owners: [String: (owner: String, status: String)] = [:]
        for row in images {
            let values = Dictionary(row.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            if let id = text(values, "id") { owners[id] = (text(values, "owner_id") ?? "", text(values, "status") ?? "") }
        }
        var counts: [String: Int] = [:]
        for (index, row) in (tables.first { $0.0 == "image_shares" }?.1 ?? []).enumerated() {
            let values = Dictionary(row.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            guard let image = text(values, "image_id"), let image = owners[image].map({ (image, $0) }) else { continue }
            let place = "image_shares row \(index + 1)"
            if text(values, "account_id") == image.1.owner { throw StateFileError("\(place): \(image.0) is shared with its own owner") }
            guard image.1.status == "Available" else { throw StateFileError("\(place): \(image.0) is not Available, so it cannot be shared") }
            counts[image.0, default: 0] += 1
            guard counts[image.0]! <= ImageRules.maxShareAccounts else {
                throw StateFileError("\(place): \(image.0) is shared with more than \(ImageRules.maxShareAccounts) accounts")
            }
        }
    }
}
