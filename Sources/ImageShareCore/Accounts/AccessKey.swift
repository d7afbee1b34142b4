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
