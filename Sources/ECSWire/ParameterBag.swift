import Foundation
import ImageShareCore

/// The flat RPC parameter set of one request (query and form body merged), with typed accessors that
/// turn bad input into the ECS error a client expects.
public struct ParameterBag: Sendable {
    private var values: [String: String]

    /// Later pairs do not override earlier ones: the first occurrence of a name wins.
    public init(_ pairs: [(name: String, value: String)]) {
        var values: [String: String] = [:]
        values.reserveCapacity(pairs.count)
        for (name, value) in pairs where values[name] == nil { values[name] = value }
        self.values = values
    }

    public subscript(name: String) -> String? { values[name] }

    /// Whether any parameter with a non-empty value starts with `prefix` (`Filter.`, `Ipv6Address.`).
    public func hasValue(withPrefix prefix: String) -> Bool {
        values.contains { $0.key.hasPrefix(prefix) && !$0.value.isEmpty }
    }

    /// The value, or nil when absent or empty (SDKs omit unset fields; an empty value means "not set").
    public func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The value, or `MissingParameter` naming it.
    public func required(_ name: String) throws(ECSError) -> String {
        guard let value = string(name) else { throw .missingParameter(name) }
        return value
    }

    /// An integer in `range`, or nil when absent; `InvalidParameter` when malformed or out of range.
    public func int(_ name: String, in range: ClosedRange<Int>, orThrow error: ECSError? = nil) throws(ECSError) -> Int? {
        guard let text = string(name) else { return nil }
        // Plain digits first: trimming goes through Foundation and paging parameters come with most calls.
        guard let value = Int(text) ?? Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw error ?? .invalidParameter(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A boolean (`true`/`True`/`false`/… — the Python SDKs send `str(bool)`), or nil when absent.
    public func bool(_ name: String) throws(ECSError) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidParameter(name, "must be true or false")
        }
    }

    /// The values of `Name.1`, `Name.2`, … in index order, stopping at the first gap.
    public func indexedList(_ name: String) -> [String] {
        var result: [String] = []
        var index = 1
        while let value = values["\(name).\(index)"] {
            result.append(value)
            index += 1
        }
        return result
    }

    /// A comma-separated list (`ImageId=m-a,m-b`), trimmed, without empty entries; nil when absent.
    public func commaList(_ name: String) -> [String]? {
        guard let text = string(name) else { return nil }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A list of IDs in one parameter (`InstanceIds`, `DiskIds`, `SnapshotIds`), in every form real clients
    /// send: a JSON array (`["i-1","i-2"]`), the Python form of a list (`['s-1']`, footmark), quoted IDs
    /// without commas (`["d-1""d-2"]`, footmark too), an unquoted array (`[i-1,i-2]`) and a bare or
    /// comma-separated ID (`i-1`, `i-1,i-2`). nil when absent; `InvalidParameter` for anything else.
    public func idArray(_ name: String) throws(ECSError) -> [String]? {
        guard let text = string(name) else { return nil }
        let invalid = ECSError.invalidParameter(name, "must be a JSON array of IDs such as [\"i-1\",\"i-2\"] (or a single ID)")
        guard let ids = Self.parseIDList(text.trimmingCharacters(in: .whitespaces)) else { throw invalid }
        return ids
    }

    static func parseIDList(_ text: String) -> [String]? {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count >= 2 else { return bareIDs(Substring(text)) }
        let inner = text.dropFirst().dropLast()
        guard inner.contains(where: { $0 == "\"" || $0 == "'" }) else { return bareIDs(inner) }
        // Quoted IDs: between the quotes only commas and spaces, inside them no escapes.
        var ids: [String] = []
        var index = inner.startIndex
        while index < inner.endIndex {
            let character = inner[index]
            if character == "," || character == " " {
                index = inner.index(after: index)
                continue
            }
            guard character == "\"" || character == "'",
                let close = inner[inner.index(after: index)...].firstIndex(of: character)
            else { return nil }
            let id = String(inner[inner.index(after: index)..<close])
            guard isPlainID(id) else { return nil }
            ids.append(id)
            index = inner.index(after: close)
        }
        return ids
    }

    /// Comma-separated IDs without quotes; empty entries are skipped (`[]` is an empty list).
    private static func bareIDs(_ text: Substring) -> [String]? {
        let ids = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return ids.allSatisfy(isPlainID) ? ids : nil
    }

    private static func isPlainID(_ id: String) -> Bool {
        !id.isEmpty && !id.contains(where: { $0 == "\"" || $0 == "'" || $0 == "[" || $0 == "]" || $0 == "\\" || $0.isWhitespace })
    }

    /// A value that must be one of an enumeration's raw values, matched case-insensitively.
    public func oneOf<T: RawRepresentable & CaseIterable>(
        _ name: String, _ type: T.Type, orThrow error: ECSError
    ) throws(ECSError) -> T? where T.RawValue == String {
        try oneOf(name, T.allCases.map(\.rawValue), orThrow: error).flatMap(T.init(rawValue:))
    }

    /// A value that must be one of `allowed`, matched case-insensitively, in its canonical spelling; nil when
    /// absent. The default error lists what is allowed.
    public func oneOf(_ name: String, _ allowed: [String], orThrow error: ECSError? = nil) throws(ECSError) -> String? {
        guard let text = string(name) else { return nil }
        guard let match = allowed.first(where: { $0.lowercased() == text.lowercased() }) else {
            throw error ?? .invalidParameter(name, "must be one of \(allowed.joined(separator: ", "))")
        }
        return match
    }

    /// `PageNumber` (≥ 1, default 1) and `PageSize` (1…`maxSize`, default `defaultSize`); or, where the
    /// action has them, `NextToken` (a token this server answered) and `MaxResults` (1…`maxSize`), which win.
    public func page(defaultSize: Int = 10, maxSize: Int = 100, tokens: Bool = false) throws(ECSError) -> PageRequest {
        if tokens, string("NextToken") != nil || string("MaxResults") != nil {
            let size = try int("MaxResults", in: 1...maxSize) ?? defaultSize
            guard let token = string("NextToken") else { return PageRequest(offset: 0, size: size) }
            guard let offset = Int(token), offset >= 0, offset <= Int(Int32.max) else {
                throw .invalidParameter("NextToken", "not a token this server answered")
            }
            return PageRequest(offset: offset, size: size)
        }
        let number = try int("PageNumber", in: 1...Int(Int32.max)) ?? 1
        let size = try int("PageSize", in: 1...maxSize) ?? defaultSize
        return PageRequest(number: number, size: size)
    }
}

extension ParameterBag {
    /// Parameters that belong to the transport (signature, format, version), not to the call itself.
    private static let protocolParameters: Set<String> = [
        "AccessKeyId", "Action", "Version", "Format", "Signature", "SignatureMethod", "SignatureNonce", "SignatureType",
        "SignatureVersion", "Timestamp", "SecurityToken", "DryRun", "ClientToken",
    ]

    /// The business parameters in a stable form: two requests with equal fingerprints ask for the same thing.
    public var businessFingerprint: String {
        values.filter { !Self.protocolParameters.contains($0.key) && !$0.value.isEmpty }
            .sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "\n")
    }
}
