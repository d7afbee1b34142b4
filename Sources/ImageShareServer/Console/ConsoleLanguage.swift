/// The console's two languages; every label exists in both.
public enum ConsoleLanguage: String, Sendable, CaseIterable {
    case zh, en

    /// The `lang` attribute of pages in this language.
    var tag: String { self == .zh ? "zh-CN" : "en" }

    var other: ConsoleLanguage { self == .zh ? .en : .zh }

    /// The first of `zh` or `en` an `Accept-Language` header prefers (by weight, then order); Chinese, as on the
    /// ECS console, when it names neither.
    static func preferred(by acceptLanguage: String?) -> ConsoleLanguage {
        guard let acceptLanguage else { return .zh }
        var best: (language: ConsoleLanguage, weight: Double)?
        for part in acceptLanguage.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let tag = pieces.first else { continue }
            let weight = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            let language: ConsoleLanguage? = tag.hasPrefix("zh") ? .zh : tag.hasPrefix("en") ? .en : nil
            if let language, weight > (best?.weight ?? 0) { best = (language, weight) }
        }
        return best?.language ?? .zh
    }
}
