import Foundation

/// An AccessKey pair that signs requests on behalf of one account.
public struct AccessKey: Sendable, Equatable {
    public let id: String
    public let accountId: String
    /// The plain secret; the store keeps it encrypted at rest.
    public let secret: String
    public var isEnabled: Bool
    public let createdAt: Date

    public init(id: String, accountId: String, secret: String, isEnabled: Bool, createdAt: Date) {
        self.id = id
        self.accountId = accountId
        self.secret = secret
        self.isEnabled = isEnabled
        self.createdAt = createdAt
    }
}

/// The credentials printed once when an account or key is created.
public struct IssuedCredentials: Sendable, Equatable, Codable {
    public let accountId: String
    public let accessKeyId: String
    public let accessKeySecret: String

    public init(accountId: String, accessKeyId: String, accessKeySecret: String) {
        self.accountId = accountId
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
    }

    enum CodingKeys: String, CodingKey {
        case accountId = "AccountId"
        case accessKeyId = "AccessKeyId"
        case accessKeySecret = "AccessKeySecret"
    }
}

/// Makes new account IDs, AccessKey IDs and secrets from a random source.
public struct CredentialGenerator: Sendable {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public init() {}

    /// A 16-digit account ID without a leading zero.
    public func accountID() -> String {
        var digits = String(Int.random(in: 1...9))
        for _ in 0..<15 { digits.append(String(Int.random(in: 0...9))) }
        return digits
    }

    /// An AccessKey ID in Alibaba's `LTAI…` style (24 characters).
    public func accessKeyID() -> String { "LTAI" + randomString(length: 20) }

    /// A 30-character AccessKey secret.
    public func accessKeySecret() -> String { randomString(length: 30) }

    private func randomString(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in Self.alphanumerics.randomElement(using: &generator)! })
    }
}
