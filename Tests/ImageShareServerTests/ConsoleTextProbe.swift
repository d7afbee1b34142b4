import Foundation

@testable import ImageShareServer

/// Reads the console's label tables and templates from inside the module.
enum ConsoleTextProbe {
    static func labels(zh: Bool) -> [String: String] { ConsoleText.labels(zh ? .zh : .en) }

    /// Every `{{t.key}}` of every template.
    static func templateLabels() throws -> Set<String> {
        let templates = [
            PackageResources.layout_mustache, PackageResources.sign_in_mustache, PackageResources.images_mustache,
            PackageResources.pager_mustache, PackageResources.share_mustache, PackageResources.image_form_mustache,
            PackageResources.image_picker_mustache, PackageResources.instances_mustache, PackageResources.snapshots_mustache,
            PackageResources.security_mustache, PackageResources.message_mustache,
        ].map { String(decoding: $0, as: UTF8.self) }
        let pattern = try NSRegularExpression(pattern: #"\{\{t\.([A-Za-z.]+)\}\}"#)
        var keys = Set<String>()
        for text in templates {
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                keys.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        return keys
    }
}
