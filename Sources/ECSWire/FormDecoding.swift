/// Decoding of `application/x-www-form-urlencoded` text, the encoding of both the query and form bodies.
public enum FormDecoding {
    /// Splits `a=1&b=x+y` into ordered pairs, turning `+` into a space and `%XX` into bytes.
    ///
    /// `+` must become a space before signature verification: the new SDK encodes spaces as `+`.
    /// Malformed escapes are kept literally rather than rejected, so the signature check decides.
    /// Works on UTF-8 bytes: splitting by `Character` was the largest cost of decoding a request.
    public static func pairs(_ text: Substring) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        for component in text.utf8.split(separator: UInt8(ascii: "&")) {
            if let equals = component.firstIndex(of: UInt8(ascii: "=")) {
                result.append((decode(component[..<equals]), decode(component[component.index(after: equals)...])))
            } else {
                result.append((decode(component), ""))
            }
        }
        return result
    }

    /// Percent-decodes one component, with `+` as space; invalid UTF-8 becomes U+FFFD.
    public static func decode(_ text: Substring) -> String {
        decode(text.utf8)
    }

    private static func decode(_ bytes: Substring.UTF8View) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(Substring(bytes))
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            let next = bytes.index(after: index)
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), next < bytes.endIndex, bytes.index(after: next) < bytes.endIndex,
                let high = hexValue(bytes[next]), let low = hexValue(bytes[bytes.index(after: next)])
            {
                output.append(high << 4 | low)
                index = bytes.index(after: next)
            } else {
                output.append(byte)
            }
            index = bytes.index(after: index)
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
