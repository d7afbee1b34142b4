/// An account a test wants with credentials it already knows: chosen account ID, AccessKey ID and secret.
public struct KnownAccount: Sendable, Equatable, Codable {
    public let name: String
    public let accountId: String
    public let accessKeyId: String
    public let accessKeySecret: String

    /// Why chosen credentials cannot be used, in one sentence.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Checks each part: account IDs are 1–32 digits, AccessKey IDs 4–64 letters and digits, secrets 8–128 visible
    /// ASCII characters, names 1–64 characters. The same limits apply however the account arrives (flag, file,
    /// control endpoint).
    public init(name: String, accountId: String, accessKeyId: String, accessKeySecret: String) throws(Invalid) {
        guard (1...64).contains(name.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Invalid(description: "an account name must be 1 to 64 characters without control characters")
        }
        guard (1...32).contains(accountId.utf8.count), accountId.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw Invalid(description: "an account ID must be 1 to 32 digits, not \"\(accountId)\"")
        }
        guard (4...64).contains(accessKeyId.utf8.count), accessKeyId.utf8.allSatisfy(Self.isAlphanumeric) else {
            throw Invalid(description: "an AccessKey ID must be 4 to 64 letters and digits, not \"\(accessKeyId)\"")
        }
        guard (8...128).contains(accessKeySecret.utf8.count), accessKeySecret.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Invalid(description: "an AccessKey secret must be 8 to 128 visible ASCII characters")
        }
        self.name = name
        self.accountId = accountId
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
    }

    /// `NAME:ACCOUNT_ID:ACCESS_KEY_ID:ACCESS_KEY_SECRET`, as `--account` takes it (the secret may hold colons).
    public init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 else {
            throw Invalid(description: "expected NAME:ACCOUNT_ID:ACCESS_KEY_ID:ACCESS_KEY_SECRET")
        }
        try self.init(name: parts[0], accountId: parts[1], accessKeyId: parts[2], accessKeySecret: parts[3])
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            name: try container.decode(String.self, forKey: .name), accountId: try container.decode(String.self, forKey: .accountId),
            accessKeyId: try container.decode(String.self, forKey: .accessKeyId),
            accessKeySecret: try container.decode(String.self, forKey: .accessKeySecret))
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name"
        case accountId = "AccountId"
        case accessKeyId = "AccessKeyId"
        case accessKeySecret = "AccessKeySecret"
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
