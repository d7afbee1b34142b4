/// Format rules for names and descriptions (ModifyImageAttribute, CopyImage, CreateImage docs).
public enum NameRules {
    /// 2–128 characters, starting with a letter or CJK character, no `http://`/`https://` prefix, not starting
    /// with `aliyun` or `acs:`, made of letters, digits, CJK and `. : _ -`.
    public static func isValidImageName(_ name: String) -> Bool {
        guard (2...128).contains(name.count), let first = name.unicodeScalars.first else { return false }
        let lower = name.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("aliyun") || lower.hasPrefix("acs:") {
            return false
        }
        guard isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) || ".:_-".unicodeScalars.contains($0) }
    }

    /// 2–256 characters, no `http://`/`https://` prefix.
    public static func isValidDescription(_ text: String) -> Bool {
        let lower = text.lowercased()
        return (2...256).contains(text.count) && !lower.hasPrefix("http://") && !lower.hasPrefix("https://")
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || (0x4E00...0x9FFF).contains(scalar.value)
    }
}
