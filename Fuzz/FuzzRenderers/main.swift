// libFuzzer target: the JSON and XML renderers.
// Properties: every answer parses; JSON gives back exactly the value rendered, XML every element and text
// (strings with characters XML 1.0 cannot carry come back with U+FFFD in their place).
import ECSWire
import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRenderers(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var input = ValueReader(bytes: Array(UnsafeRawBufferPointer(start: start, count: count)))
    // One order per input (the first byte chooses): parsing both answers twice halved the executions.
    let order: MemberOrder = (input.next() ?? 0) & 1 == 0 ? .declared : .javaHashMap
    let value = WireValue.object(input.members(depth: 0))
    do {
        let json = ResponseFormat.json.render(value, root: "Response", order: order)
        guard let parsed = try? JSONDecoder().decode(JSONTree.self, from: Data(json)) else {
            preconditionFailure("rendered JSON does not parse: \(String(decoding: json, as: UTF8.self))")
        }
        precondition(parsed == JSONTree(value), "JSON round trip changed \(value)")

        let xml = ResponseFormat.xml.render(value, root: "Response", order: order)
        let collector = XMLTextCollector()
        let parser = XMLParser(data: Data(xml))
        parser.delegate = collector
        precondition(parser.parse(), "rendered XML does not parse: \(String(decoding: xml, as: UTF8.self))")
        precondition(collector.texts == XMLTextCollector.expectedTexts(value, order: order), "XML round trip changed \(value)")
    }
    return 0
}

/// Turns fuzzer bytes into a response-shaped value: objects of uniquely named members, arrays, strings
/// (any characters, markup and control characters included), integers and booleans.
struct ValueReader {
    let bytes: [UInt8]
    var position = 0

    mutating func next() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func members(depth: Int) -> [(String, WireValue)] {
        var members: [(String, WireValue)] = []
        let count = Int(next() ?? 0) % 6
        for index in 0..<count {
            // Element names come from the code, never from input: letters only, unique within an object.
            members.append(("M\(index)x\(next() ?? 0)", value(depth: depth + 1)))
        }
        return members
    }

    mutating func value(depth: Int) -> WireValue {
        switch (next() ?? 0) % (depth > 4 ? 3 : 5) {
        case 0: return .string(string())
        case 1: return .int(Int(truncatingIfNeeded: UInt64(next() ?? 0) << 56 | UInt64(next() ?? 0) << 8 | UInt64(next() ?? 0)) &- 1_000)
        case 2: return .bool((next() ?? 0) & 1 == 1)
        case 3: return .object(members(depth: depth))
        default:
            let count = Int(next() ?? 0) % 4
            return .array((0..<count).map { _ in .object(members(depth: depth)) })
        }
    }

    mutating func string() -> String {
        let length = Int(next() ?? 0) % 24
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let byte = next() ?? 0
            switch byte {
            case 0xF0...0xFF: scalars.append(Unicode.Scalar(0x4E00 + UInt32(byte))!)  // CJK
            case 0xE0..<0xF0: scalars.append(["\u{FFFE}", "\u{FFFF}", "\u{1F600}", "\u{00E9}"][Int(byte) % 4])
            default: scalars.append(Unicode.Scalar(byte & 0x7F))
            }
        }
        return String(scalars)
    }
}

/// A decoded JSON document, compared member by member (JSON objects are unordered).
indirect enum JSONTree: Decodable, Equatable {
    case string(String), int(Int), bool(Bool), object([String: JSONTree]), array([JSONTree])

    init(_ value: WireValue) {
        switch value {
        case let .string(text): self = .string(text)
        case let .int(number): self = .int(number)
        case let .bool(flag): self = .bool(flag)
        case let .object(members): self = .object(Dictionary(members.map { ($0.0, JSONTree($0.1)) }, uniquingKeysWith: { $1 }))
        case let .array(items): self = .array(items.map(JSONTree.init))
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Int.self) { self = .int(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let items = try? container.decode([JSONTree].self) { self = .array(items) }
        else { self = .object(try container.decode([String: JSONTree].self)) }
    }
}

/// The element names and texts of a parsed XML document, in document order.
final class XMLTextCollector: NSObject, XMLParserDelegate {
    var texts: [String] = []
    private var current = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        flush()
        texts.append("<" + name)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        flush()
        texts.append("/" + name)
    }

    private func flush() {
        if !current.isEmpty { texts.append("=" + current) }
        current = ""
    }

    /// What the collector must see for `value` rendered under the root `Response`.
    static func expectedTexts(_ value: WireValue, order: MemberOrder) -> [String] {
        var texts: [String] = []
        func element(_ name: String, _ value: WireValue) {
            if case let .array(items) = value {
                for item in items { element(name, item) }
                return
            }
            texts.append("<" + name)
            switch value {
            case let .string(text): if !text.isEmpty { texts.append("=" + xmlCarried(text)) }
            case let .int(number): texts.append("=\(number)")
            case let .bool(flag): texts.append(flag ? "=true" : "=false")
            case let .object(members): for position in order.positions(of: members) { element(members[position].0, members[position].1) }
            case .array: break
            }
            texts.append("/" + name)
        }
        element("Response", value)
        return texts
    }

    /// `text` as XML 1.0 can carry it: other control characters and U+FFFE/U+FFFF become U+FFFD.
    static func xmlCarried(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: scalar
            case 0x00..<0x20, 0x7F, 0xFFFE, 0xFFFF: "\u{FFFD}"
            default: scalar
            }
        }))
    }
}
