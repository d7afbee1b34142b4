import ImageShareCore

extension SQLStore: StoreReset {
    /// Every table of account data, children before the tables they reference.
    static let accountDataTables = [
        "security_group_tags", "security_group_rules", "snapshot_tags", "disk_tags", "instance_tags", "image_tags",
        "image_shares", "image_disks", "snapshots", "disks", "instances", "images", "security_groups",
        "client_tokens", "console_sessions", "sign_in_failures", "signature_nonces", "access_keys", "rate_buckets",
        "accounts",
    ]

    public func eraseEverything() async throws {
        _ = try await write { db in
            for table in Self.accountDataTables { try db.execute("DELETE FROM \(table)") }
            // A store emptied on purpose is not a new one: no first account is made for it at the next start.
            return 0
        }
    }
}
