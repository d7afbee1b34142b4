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
            guard value.utf8.count <= maxValueBytes else {
                throw .invalidParameter(shown, "at most \(maxValueBytes) bytes")
            }
            guard !containsControlCharacter(value) else {
                throw .invalidParameter(shown, "control characters (U+0000-U+001F, U+007F) are not accepted")
            }
        }
    }

    /// Whether `text` has a C0 control character or DEL.
    public static func containsControlCharacter(_ text: some StringProtocol) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// The name as an error message can show it: printable and short.
    private static func displayName(_ name: String) -> String {
        let printable = String(decoding: name.utf8.prefix(64).map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
        return name.utf8.count > 64 ? printable + "…" : printable
    }
}
