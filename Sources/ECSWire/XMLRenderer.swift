/// Serialises a `WireValue` as ECS-style XML: members become elements, arrays repeat their member's element.
enum XMLRenderer {
    static func render(_ value: WireValue, root: String) -> String {
        var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        writeElement(root, value, into: &output)
        return output
    }

    private static func writeElement(_ name: String, _ value: WireValue, into output: inout String) {
        if case let .array(items) = value {
            for item in items { writeElement(name, item, into: &output) }
            return
        }
        output += "<\(name)>"
        switch value {
        case let .string(text): output += escape(text)
        case let .int(number): output += String(number)
        case let .bool(flag): output += flag ? "true" : "false"
        case let .object(members):
            for (key, member) in members { writeElement(key, member, into: &output) }
        case .array: break
        }
        output += "</\(name)>"
    }

    private static func escape(_ text: String) -> String {
        guard text.contains(where: { "<>&\"'".contains($0) }) else { return text }
        var output = ""
        for character in text {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            case "'": output += "&apos;"
            default: output.append(character)
            }
        }
        return output
    }
}
