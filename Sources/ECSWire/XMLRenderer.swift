/// Serialises a `WireValue` as ECS-style XML, straight into UTF-8 bytes: members become elements, arrays
/// repeat their member's element.
enum XMLRenderer {
    static func render(_ value: WireValue, root: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        output.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        writeElement(root, value, into: &output)
        return output
    }

    private static func writeElement(_ name: String, _ value: WireValue, into output: inout [UInt8]) {
        if case let .array(items) = value {
            for item in items { writeElement(name, item, into: &output) }
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
            for (key, member) in members { writeElement(key, member, into: &output) }
        case .array: break
        }
        output.append(contentsOf: "</".utf8)
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ">"))
    }

    private static func writeEscaped(_ text: String, into output: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "<"): output.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): output.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "&"): output.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "\""): output.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): output.append(contentsOf: "&apos;".utf8)
            default: output.append(byte)
            }
        }
    }
}
