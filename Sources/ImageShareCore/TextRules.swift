/// ECS's documented format for every free-text parameter: length, first character and allowed characters.
///
/// Every name, description and tag is checked here before it reaches a store, on every engine alike; the
/// lengths also bound the cost of the name filters (`ImageName`, `InstanceName`) that become LIKE patterns.
public enum TextRules {
    /// Names, descriptions and tags are counted in characters; this is the longest any of them may be.
    public static let maxNameLength = 128
    public static let maxDescriptionLength = 256
    public static let maxTagLength = 128
    /// `ImageVersion` (CreateImage).
    public static let maxImageVersionLength = 40
    /// IDs of resources the service does not model yet (`SecurityGroupId`, `VSwitchId`).
    public static let maxForeignIdLength = 64

    /// Image, image family and snapshot names: 2–128 characters, starting with a letter or CJK character,
    /// made of letters, digits, CJK and `. : _ -`, not starting with `http://`, `https://`, `aliyun` or `acs:`.
    public static func isValidImageName(_ name: String) -> Bool {
        guard (2...maxNameLength).contains(name.count), let first = name.unicodeScalars.first, isLetter(first) else {
            return false
        }
        if hasForbiddenPrefix(name, ["http://", "https://", "aliyun", "acs:"]) { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || ".:_-".unicodeScalars.contains($0) }
    }

    /// Snapshot names: image-name rules, and not starting with `auto` (kept for automatic snapshots).
    public static func isValidSnapshotName(_ name: String) -> Bool {
        isValidImageName(name) && !name.lowercased().hasPrefix("auto")
    }

    /// Instance names: like image names, plus `[`, `]` and `,` (RunInstances' `name[begin,digits]` form);
    /// they may start with `aliyun`.
    public static func isValidInstanceName(_ name: String) -> Bool {
        guard (2...maxNameLength).contains(name.count), let first = name.unicodeScalars.first, isLetter(first) else {
            return false
        }
        if hasForbiddenPrefix(name, ["http://", "https://"]) { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || ".:_-[],".unicodeScalars.contains($0) }
    }

    /// Disk and security-group names: 2–128 characters, starting with a letter or CJK character, made of
    /// letters, digits, CJK and `. : _ -`, not starting with `http://` or `https://`.
    public static func isValidResourceName(_ name: String) -> Bool {
        guard (2...maxNameLength).contains(name.count), let first = name.unicodeScalars.first, isLetter(first) else {
            return false
        }
        if hasForbiddenPrefix(name, ["http://", "https://"]) { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || ".:_-".unicodeScalars.contains($0) }
    }

    /// Host names: 2–64 letters, digits, `.` and `-`, not starting or ending with `.` or `-`, and no `.`
    /// or `-` next to another.
    public static func isValidHostName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard (2...64).contains(scalars.count) else { return false }
        for (index, scalar) in scalars.enumerated() {
            let isSeparator = scalar == "." || scalar == "-"
            guard isASCIILetter(scalar) || isDigit(scalar) || isSeparator else { return false }
            if isSeparator {
                guard index > 0, index < scalars.count - 1 else { return false }
                let previous = scalars[index - 1]
                if previous == "." || previous == "-" { return false }
            }
        }
        return true
    }

    /// Descriptions: 2–256 characters, not starting with `http://` or `https://`.
    public static func isValidDescription(_ text: String) -> Bool {
        (2...maxDescriptionLength).contains(text.count) && !hasForbiddenPrefix(text, ["http://", "https://"])
    }

    /// Tag keys: 1–128 characters, not starting with `aliyun` or `acs:`, without `http://` or `https://`.
    public static func isValidTagKey(_ key: String) -> Bool {
        (1...maxTagLength).contains(key.count) && !hasForbiddenPrefix(key, ["aliyun", "acs:"]) && !containsURL(key)
    }

    /// Tag values: at most 128 characters (empty allowed), not starting with `aliyun` or `acs:`, without
    /// `http://` or `https://`.
    public static func isValidTagValue(_ value: String) -> Bool {
        value.count <= maxTagLength && !hasForbiddenPrefix(value, ["aliyun", "acs:"]) && !containsURL(value)
    }

    /// A name filter (`ImageName`, `InstanceName` in Describe calls): 1–128 characters.
    public static func isValidNameFilter(_ text: String) -> Bool {
        (1...maxNameLength).contains(text.count)
    }

    private static func hasForbiddenPrefix(_ text: String, _ prefixes: [String]) -> Bool {
        let lower = text.lowercased()
        return prefixes.contains { lower.hasPrefix($0) }
    }

    private static func containsURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("http://") || lower.contains("https://")
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || (0x4E00...0x9FFF).contains(scalar.value)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
