/// Serialises a `WireValue` as compact JSON, straight into UTF-8 bytes.
///
/// Responses are rendered on every request, so strings are copied in runs of bytes that need no escape
/// rather than scalar by scalar.
enum JSONRenderer {
    static func render(_ value: WireValue, order: MemberOrder = .declared) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(1024)
        write(value, order: order, into: &output)
        return output
    }

    private static func write(_ value: WireValue, order: MemberOrder, into output: inout [UInt8]) {
        switch value {
        case let .string(text): writeString(text, into: &output)
        case let .int(number): output.append(contentsOf: String(number).utf8)
        case let .bool(flag): output.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case let .array(items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(item, order: order, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case let .object(members):
            output.append(UInt8(ascii: "{"))
            for (index, position) in order.positions(of: members).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                let (key, member) = members[position]
                writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member, order: order, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                // DEL, the C1 controls (C2 80–C2 9F) and U+FFFE/U+FFFF (EF BF BE/BF) are escaped too: some clients
                // parse answers as YAML (footmark), which refuses them raw. Other multi-byte sequences pass.
                if byte == 0x7F || byte == 0xC2 || byte == 0xEF, let scalar = escapedScalar(bytes, at: index) {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    runStart = index + (scalar > 0xFF ? 3 : scalar >= 0x80 ? 2 : 1)
                    writeUnicodeEscape(scalar, into: &output)
                    continue
                }
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
                case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
                case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
                default: writeUnicodeEscape(UInt32(byte), into: &output)
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// The scalar of a sequence starting at `index` that must be written as `\uXXXX`, or nil.
    private static func escapedScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32? {
        switch bytes[index] {
        case 0x7F: return 0x7F
        case 0xC2 where index + 1 < bytes.count && (0x80...0x9F).contains(bytes[index + 1]): return UInt32(bytes[index + 1])
        case 0xEF where index + 2 < bytes.count && bytes[index + 1] == 0xBF && bytes[index + 2] >= 0xBE:
            return 0xFFFE + UInt32(bytes[index + 2] - 0xBE)
        default: return nil
        }
    }

    private static func writeUnicodeEscape(_ scalar: UInt32, into output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        output.append(contentsOf: #"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) { output.append(hex[Int((scalar >> UInt32(shift)) & 0xF)]) }
    }
}
