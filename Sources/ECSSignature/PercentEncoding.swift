/// RFC 3986 percent-encoding as both ECS signature schemes define it.
public enum PercentEncoding {
    /// Encodes every UTF-8 byte except `A-Z a-z 0-9 - _ . ~` as `%XX` with upper-case hex.
    ///
    /// ECS spec: V2 "Request signatures", step 3; V3 canonical query string uses the same rule.
    public static func encode(_ value: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

/// A request parameter as decoded from the query or form body.
public struct QueryParameter: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension [QueryParameter] {
    /// `name=value` pairs sorted by name in byte order, both percent-encoded, joined with `&`.
    func canonicalized() -> String {
        sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            .map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }
            .joined(separator: "&")
    }
}
