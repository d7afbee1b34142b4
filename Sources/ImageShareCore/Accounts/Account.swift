import Foundation

/// An Alibaba Cloud account (aliyunUid): the owner of resources and the target of image shares.
public struct Account: Sendable, Equatable, Codable {
    /// A 16-digit decimal string, like a real aliyunUid.
    public let id: String
    public let name: String
    public let createdAt: Date
    /// A disabled account can neither sign in to the console nor call the API with any of its keys.
    public var isEnabled: Bool

    public init(id: String, name: String, createdAt: Date, isEnabled: Bool = true) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.isEnabled = isEnabled
    }

    /// Account names are 1–64 characters without control characters; unique names can be typed at sign-in.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Whether `value` has the shape of an account ID (16 decimal digits, no leading zero).
    public static func isWellFormedID(_ value: String) -> Bool {
        value.utf8.count == 16 && value.utf8.first != UInt8(ascii: "0")
            && value.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
