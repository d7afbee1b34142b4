/// Serialises a `WireValue` as ECS-style XML, straight into UTF-8 bytes: members become elements, arrays
/// repeat their member's element.
enum XMLRenderer {
    static func render(_ value: WireValue, root: String, order: MemberOrder = .declared) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        output.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        writeElement(root, value, order: order, into: &output)
        return output
    }

    private static func writeElement(_ name: String, _ value: WireValue, order: MemberOrder, into output: inout [UInt8]) {
        if case let .array(items) = value {
            for item in items { writeElement(name, item, order: order, into: &output) }
            return
        }
        output.append(UInt8(ascii: "<"))
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
        switch value {
        case let .string(text): writeEscaped(text, into: &output)
        case let .int(number): output.append(contentsOf: String(number).utf8)
        case let .bool(flag): output.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case let .object(members):
            for position in order.positions(of: members) {
                writeElement(members[position].0, members[position].1, order: order, into: &output)
            }
        case .array: break
        }
        output.append(contentsOf: "</".utf8)
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    /// Escapes markup characters and replaces what XML 1.0 cannot carry.
    private static func writeEscaped(_ text: String, into output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): output.append(contentsOf: "&apos;".utf8)
                // Kept exactly as character references (a parser would fold a raw CR or LF into a space or LF).
                case UInt8(ascii: "\t"): output.append(contentsOf: "&#9;".utf8)
                case UInt8(ascii: "\n"): output.append(contentsOf: "&#10;".utf8)
                case UInt8(ascii: "\r"): output.append(contentsOf: "&#13;".utf8)
                // XML 1.0 cannot carry other control characters at all, not even as references: a document
                // with one does not parse. Input never has them any more; rows written before may.
                case 0x00..<0x20, 0x7F: output.append(contentsOf: replacement)
                // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are not XML characters either.
                case 0xEF where index + 1 < bytes.count && bytes[index] == 0xBF && bytes[index + 1] >= 0xBE:
                    output.append(contentsOf: replacement)
                    index += 2
                default: output.append(byte)
                }
            }
        }
    }

    private static let replacement = Array("\u{FFFD}".utf8)
}
