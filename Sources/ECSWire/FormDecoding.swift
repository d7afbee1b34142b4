/// Decoding of `application/x-www-form-urlencoded` text, the encoding of both the query and form bodies.
public enum FormDecoding {
    /// Splits `a=1&b=x+y` into ordered pairs, turning `+` into a space and `%XX` into bytes.
    ///
    /// `+` must become a space before signature verification: the new SDK encodes spaces as `+`.
    /// Malformed escapes are kept literally rather than rejected, so the signature check decides.
    public static func pairs(_ text: Substring) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        for component in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = component.firstIndex(of: "=") {
                result.append((decode(component[..<equals]), decode(component[component.index(after: equals)...])))
            } else {
                result.append((decode(component), ""))
            }
        }
        return result
    }

    /// Percent-decodes one component, with `+` as space; invalid UTF-8 becomes U+FFFD.
    public static func decode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(text)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
