/// The schema: named migrations, the same names on every engine, applied in order and recorded in
/// `schema_migrations`.
enum Schema {
    /// One schema change; its statements are written once and adapted to the dialect.
    struct Migration {
        let name: String
        let statements: [String]
        /// The one engine the statements are for; the migration is still recorded (as done) on the other.
        var onlyOn: SQLDialect.Kind?

        func statements(for dialect: SQLDialect) -> [String] {
            guard onlyOn == nil || onlyOn == dialect.kind else { return [] }
            return statements.map {
                $0.replacingOccurrences(of: "{BLOB}", with: dialect.blobType)
                    .replacingOccurrences(of: "{WITHOUT_ROWID}", with: dialect.withoutRowID)
            }
        }
    }

    static let migrations: [Migration] = [
        Migration(
            name: "001_accounts_and_keys",
            statements: [
                """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
                    name TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE access_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    secret_sealed {BLOB} NOT NULL,
                    enabled BIGINT NOT NULL CHECK (enabled IN (0, 1)),
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX access_keys_by_account ON access_keys(account_id)
                """,
                """
                CREATE TABLE signature_nonces (
                    access_key_id TEXT NOT NULL,
                    nonce TEXT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    PRIMARY KEY (access_key_id, nonce)
                ){WITHOUT_ROWID}
                """,
                """
                CREATE INDEX signature_nonces_by_expiry ON signature_nonces(expires_at)
                """,
            ]),
        Migration(
            name: "002_images_instances_disks",
            statements: [
                """
                CREATE TABLE images (
                    id TEXT PRIMARY KEY NOT NULL,
                    region_id TEXT NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('Creating', 'Available', 'Deprecated')),
                    created_at BIGINT NOT NULL,
                    ready_at BIGINT NOT NULL,
                    os_type TEXT NOT NULL,
                    os_name TEXT NOT NULL,
                    os_name_en TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    architecture TEXT NOT NULL,
                    size_gib BIGINT NOT NULL,
                    image_family TEXT NOT NULL,
                    image_version TEXT NOT NULL,
                    boot_mode TEXT NOT NULL,
                    is_public BIGINT NOT NULL DEFAULT 0,
                    share_count BIGINT NOT NULL DEFAULT 0 CHECK (share_count BETWEEN 0 AND 50),
                    copied_from TEXT,
                    UNIQUE (owner_id, region_id, name)
                )
                """,
                """
                CREATE INDEX images_by_region_owner ON images(region_id, owner_id, created_at)
                """,
                """
                CREATE INDEX images_public ON images(region_id, is_public, created_at)
                """,
                """
                CREATE INDEX images_by_copy_source ON images(copied_from)
                """,
                """
                CREATE TABLE image_disks (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    position BIGINT NOT NULL,
                    device TEXT NOT NULL,
                    type TEXT NOT NULL,
                    snapshot_id TEXT NOT NULL,
                    size_gib BIGINT NOT NULL,
                    PRIMARY KEY (image_id, position)
                )
                """,
                """
                CREATE TABLE image_tags (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (image_id, tag_key)
                )
                """,
                """
                CREATE TABLE image_shares (
                    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    region_id TEXT NOT NULL,
                    shared_at BIGINT NOT NULL,
                    PRIMARY KEY (image_id, account_id)
                )
                """,
                """
                CREATE INDEX image_shares_by_recipient ON image_shares(account_id, region_id, image_id)
                """,
                """
                CREATE TABLE instances (
                    id TEXT PRIMARY KEY NOT NULL,
                    region_id TEXT NOT NULL,
                    zone_id TEXT NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    host_name TEXT NOT NULL,
                    instance_type TEXT NOT NULL,
                    image_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    started_at BIGINT,
                    security_group_ids TEXT NOT NULL,
                    vswitch_id TEXT NOT NULL,
                    vpc_id TEXT NOT NULL,
                    private_ip TEXT NOT NULL,
                    charge_type TEXT NOT NULL,
                    os_type TEXT NOT NULL,
                    os_name TEXT NOT NULL
                )
                """,
                """
                CREATE INDEX instances_by_owner ON instances(owner_id, region_id, created_at)
                """,
                """
                CREATE TABLE instance_tags (
                    instance_id TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (instance_id, tag_key)
                )
                """,
                """
                CREATE TABLE disks (
                    id TEXT PRIMARY KEY NOT NULL,
                    region_id TEXT NOT NULL,
                    zone_id TEXT NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    instance_id TEXT REFERENCES instances(id) ON DELETE SET NULL,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ('system', 'data')),
                    category TEXT NOT NULL,
                    size_gib BIGINT NOT NULL,
                    device TEXT NOT NULL,
                    status TEXT NOT NULL,
                    image_id TEXT NOT NULL,
                    image_owner_id TEXT NOT NULL,
                    source_snapshot_id TEXT NOT NULL,
                    delete_with_instance BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    attached_at BIGINT,
                    os_type TEXT NOT NULL,
                    os_name TEXT NOT NULL,
                    os_name_en TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    architecture TEXT NOT NULL
                )
                """,
                """
                CREATE INDEX disks_by_owner ON disks(owner_id, region_id, created_at)
                """,
                """
                CREATE INDEX disks_by_instance ON disks(instance_id)
                """,
                """
                CREATE INDEX disks_by_image ON disks(image_id, type)
                """,
                """
                CREATE TABLE snapshots (
                    id TEXT PRIMARY KEY NOT NULL,
                    region_id TEXT NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    source_disk_id TEXT NOT NULL,
                    source_disk_type TEXT NOT NULL,
                    source_disk_size BIGINT NOT NULL,
                    source_instance_id TEXT NOT NULL,
                    source_image_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    usage TEXT NOT NULL,
                    os_type TEXT NOT NULL,
                    os_name TEXT NOT NULL,
                    os_name_en TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    architecture TEXT NOT NULL
                )
                """,
                """
                CREATE INDEX snapshots_by_owner ON snapshots(owner_id, region_id, created_at)
                """,
                """
                CREATE TABLE client_tokens (
                    account_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    token TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    result TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (account_id, action, token)
                )
                """,
            ]),
        Migration(
            name: "003_store_settings",
            statements: [
                // Facts about the store itself, such as the fingerprint of the key its secrets are sealed with.
                """
                CREATE TABLE store_settings (
                    name TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                )
                """,
            ]),
        Migration(
            name: "004_console",
            statements: [
                "ALTER TABLE accounts ADD COLUMN password_hash TEXT",
                "ALTER TABLE accounts ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1",
                "CREATE INDEX accounts_by_name ON accounts(name)",
                // Sessions live in the store, so every node sees them; only a hash of the session ID is kept.
                """
                CREATE TABLE console_sessions (
                    id_hash TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    region_id TEXT NOT NULL,
                    language TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX console_sessions_by_account ON console_sessions(account_id)",
                "CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_at)",
                """
                CREATE TABLE sign_in_failures (
                    subject TEXT PRIMARY KEY NOT NULL,
                    failures BIGINT NOT NULL,
                    window_started_at BIGINT NOT NULL,
                    locked_until BIGINT
                )
                """,
            ]),
        Migration(
            name: "005_instance_os_name_en",
            statements: [
                // DescribeInstances' OSNameEn; earlier instances take it from their system disk.
                "ALTER TABLE instances ADD COLUMN os_name_en TEXT NOT NULL DEFAULT ''",
                """
                UPDATE instances SET os_name_en = COALESCE(
                    (SELECT d.os_name_en FROM disks d WHERE d.instance_id = instances.id AND d.type = 'system'), os_name)
                """,
            ]),
        Migration(
            name: "006_client_resources",
            statements: [
                // What third-party clients (footmark, Ansible, Libcloud) read and set on instances and disks.
                "ALTER TABLE instances ADD COLUMN user_data TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE instances ADD COLUMN public_ip TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE instances ADD COLUMN internet_charge_type TEXT NOT NULL DEFAULT 'PayByTraffic'",
                "ALTER TABLE instances ADD COLUMN max_bandwidth_out BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE instances ADD COLUMN max_bandwidth_in BIGINT NOT NULL DEFAULT 200",
                "ALTER TABLE instances ADD COLUMN key_pair_name TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE disks ADD COLUMN description TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE disks ADD COLUMN detached_at BIGINT",
                """
                CREATE TABLE disk_tags (
                    disk_id TEXT NOT NULL REFERENCES disks(id) ON DELETE CASCADE,
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (disk_id, tag_key)
                )
                """,
                """
                CREATE TABLE snapshot_tags (
                    snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (snapshot_id, tag_key)
                )
                """,
                """
                CREATE TABLE security_groups (
                    id TEXT PRIMARY KEY NOT NULL,
                    region_id TEXT NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES accounts(id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    vpc_id TEXT NOT NULL,
                    type TEXT NOT NULL CHECK (type IN ('normal', 'enterprise')),
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX security_groups_by_owner ON security_groups(owner_id, region_id, created_at)",
                """
                CREATE TABLE security_group_rules (
                    id TEXT PRIMARY KEY NOT NULL,
                    group_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
                    direction TEXT NOT NULL CHECK (direction IN ('ingress', 'egress')),
                    ip_protocol TEXT NOT NULL,
                    port_range TEXT NOT NULL,
                    source_port_range TEXT NOT NULL,
                    cidr_ip TEXT NOT NULL,
                    peer_group_id TEXT NOT NULL,
                    policy TEXT NOT NULL,
                    priority BIGINT NOT NULL,
                    nic_type TEXT NOT NULL,
                    description TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX security_group_rules_by_group ON security_group_rules(group_id, created_at)",
                "CREATE INDEX security_group_rules_by_peer ON security_group_rules(peer_group_id)",
                """
                CREATE TABLE security_group_tags (
                    security_group_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
                    tag_key TEXT NOT NULL,
                    tag_value TEXT NOT NULL,
                    PRIMARY KEY (security_group_id, tag_key)
                )
                """,
            ]),
        Migration(
            name: "007_rate_buckets",
            statements: [
                // One row per token bucket (AccessKey, or AccessKey and action), shared by every server.
                """
                CREATE TABLE rate_buckets (
                    bucket TEXT PRIMARY KEY NOT NULL,
                    micro_tokens BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            name: "008_image_build_failures",
            statements: [
                // 1 when a test asked this build to end in CreateFailed (the control endpoint's fault injection).
                "ALTER TABLE images ADD COLUMN build_fails BIGINT NOT NULL DEFAULT 0 CHECK (build_fails IN (0, 1))",
            ]),
        Migration(
            name: "009_share_listing_order",
            statements: [
                // A recipient's listing (DescribeImages ImageOwnerAlias=others) is ordered by the images' creation
                // time: kept beside each share, the index gives the count and the page without visiting the
                // images beyond the page.
                "ALTER TABLE image_shares ADD COLUMN image_created_at BIGINT NOT NULL DEFAULT 0",
                """
                UPDATE image_shares SET image_created_at = COALESCE(
                    (SELECT i.created_at FROM images i WHERE i.id = image_shares.image_id), 0)
                """,
                "DROP INDEX image_shares_by_recipient",
                "CREATE INDEX image_shares_by_recipient ON image_shares(account_id, region_id, image_created_at, image_id)",
            ]),
        Migration(
            name: "010_nonce_log",
            statements: [
                // SQLite's servers append claimed nonces here and look them up in memory (`NonceWindow`): an
                // append to a rowid table instead of an insert at a random place of a unique index. AUTOINCREMENT
                // keeps sequences growing even after the log was emptied, since other processes on the file read
                // the log from the last sequence they saw. PostgreSQL keeps `signature_nonces`: its unique index
                // is what refuses a nonce claimed at the same moment on another node.
                """
                CREATE TABLE nonce_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    access_key_id TEXT NOT NULL,
                    nonce TEXT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                """
                INSERT INTO nonce_log (access_key_id, nonce, expires_at)
                SELECT access_key_id, nonce, expires_at FROM signature_nonces ORDER BY expires_at
                """,
                "DELETE FROM signature_nonces",
            ],
            onlyOn: .sqlite),
    ]
}
