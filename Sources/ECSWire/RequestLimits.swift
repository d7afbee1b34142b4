import ImageShareCore

/// Limits every request meets before anything else reads it, signed or not: how many parameters, how long
/// their names and values are, and that none carries a control character.
///
/// They run before authentication because the authenticator itself binds `AccessKeyId` and the nonce in
/// store queries: PostgreSQL refuses text with NUL bytes and SQLite cuts it there, so such text must never
/// reach either engine. Field-specific rules (names, tags, descriptions) come later, in the actions.
public enum RequestLimits {
    /// More than any ECS call needs (RunInstances with every tag and data disk has under 200).
    public static let maxParameters = 512
    /// Parameter names are ASCII paths like `DataDisk.16.DeleteWithInstance`.
    public static let maxNameBytes = 128
    /// The longest value an action reads that has no tighter rule of its own (a list of 100 IDs fits).
    public static let maxValueBytes = 4_096
    /// `UserData`: Base64 of up to 32 KiB (ECS's limit on the decoded data), checked exactly by the actions.
    public static let maxUserDataBytes = 43_692

    /// Throws `InvalidParameter` for the first pair that breaks a limit.
    public static func check(_ pairs: [(name: String, value: String)]) throws(ECSError) {
        guard pairs.count <= maxParameters else {
            throw ECSError(
                code: "InvalidParameter", httpStatus: 400,
                message: "The request has \(pairs.count) parameters; at most \(maxParameters) are accepted.")
        }
        for (name, value) in pairs {
            let shown = displayName(name)
            guard name.utf8.count <= maxNameBytes else { throw .invalidParameter(shown, "the name is too long") }
            guard !containsControlCharacter(name) else {
                throw .invalidParameter(shown, "the name contains a control character")
            }
            let limit = name == "UserData" ? maxUserDataBytes : maxValueBytes
            guard value.utf8.count <= limit else {
                throw .invalidParameter(shown, "at most \(limit) bytes")
            }
            // Base64 tools wrap lines; user data is the one value where a line break is expected.
            let checked = name == "UserData" ? value.filter { $0 != "\n" && $0 != "\r\n" && $0 != "\r" } : value
            guard !containsControlCharacter(checked) else {
                throw .invalidParameter(shown, "control characters (U+0000-U+001F, U+007F-U+009F) are not accepted")
            }
        }
    }

    /// Whether `text` has a control character: C0, DEL or C1 (U+0080–U+009F, UTF-8 `C2 80`…`C2 9F`).
    public static func containsControlCharacter(_ text: some StringProtocol) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) { return true }
            previous = byte
        }
        return false
    }

    /// The name as an error message can show it: printable and short.
    private static func displayName(_ name: String) -> String {
        let printable = String(name.prefix(64).map { RequestLimits.containsControlCharacter(String($0)) ? "?" : $0 })
        return name.utf8.count > 64 ? printable + "…" : printable
    }
}
