import Foundation

/// `serve`'s options read from `IMAGESHARE_*` environment variables and a `--config` file, turned into
/// command-line arguments before parsing, so one parser checks every value the same way.
///
/// Precedence: the command line, then the environment, then the file, then the option's default.
struct ServeSettings {
    /// An option `serve` takes, by its long name; a flag has no value.
    struct Setting: Equatable {
        let name: String
        let isFlag: Bool

        var environmentName: String { "IMAGESHARE_" + name.uppercased().replacingOccurrences(of: "-", with: "_") }
    }

    /// Every option of `serve` but `--config` itself (a test checks this against `serve --help`).
    static let settings: [Setting] = [
        "host", "port", "data-dir", "database", "regions", "image-build-seconds", "custom-image-quota", "instance-quota",
        "max-connections", "idle-timeout", "header-timeout", "body-timeout", "log-level", "tls-cert", "tls-key",
        "rate-limit", "action-rate-limit", "account", "admin-token", "seed", "fixtures",
    ].map { Setting(name: $0, isFlag: false) } + ["no-migrate", "in-memory"].map { Setting(name: $0, isFlag: true) }

    /// Why the configuration cannot be used, in one line naming the file and line.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The arguments to parse, and where each option not on the command line came from (for error messages).
    struct Expansion {
        var arguments: [String]
        var sources: [String: String] = [:]
    }

    /// `arguments` (those after `serve`) completed from `environment` and the config file they or it name.
    static func expand(_ arguments: [String], environment: [String: String]) throws(Invalid) -> Expansion {
        var expanded = Expansion(arguments: arguments)
        let given = Set(arguments.compactMap(optionName(of:)))
        let file = configFile(in: arguments, environment: environment)
        let fileSettings = try file.map(parse(file:)) ?? [:]
        for setting in settings where !given.contains(setting.name) {
            let fromEnvironment = environment[setting.environmentName].flatMap { $0.isEmpty ? nil : [($0, 0)] }
            guard let values = fromEnvironment ?? fileSettings[setting.name] else { continue }
            for (value, line) in values {
                expanded.sources[setting.name] =
                    fromEnvironment != nil
                    ? "the environment variable \(setting.environmentName)" : "\(file ?? "the config file") line \(line)"
                if setting.isFlag {
                    guard let on = boolean(value) else {
                        throw Invalid(description: "\(setting.name) must be true or false, not \"\(value)\"")
                    }
                    if on { expanded.arguments.append("--" + setting.name) }
                } else {
                    expanded.arguments += ["--" + setting.name, value]
                }
            }
        }
        return expanded
    }

    /// `--config FILE` or `--config=FILE` on the command line, else `IMAGESHARE_CONFIG`.
    private static func configFile(in arguments: [String], environment: [String: String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return environment["IMAGESHARE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func optionName(of argument: String) -> String? {
        guard argument.hasPrefix("--") else { return nil }
        return String(argument.dropFirst(2).prefix { $0 != "=" })
    }

    private static func boolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "true", "yes", "1", "on": true
        case "false", "no", "0", "off": false
        default: nil
        }
    }

    /// The file's settings with their line numbers: `name = value` per line, `#` comments, values optionally
    /// double-quoted. A name may repeat for a repeatable option (`action-rate-limit`).
    static func parse(file path: String) throws(Invalid) -> [String: [(String, Int)]] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Invalid(description: "cannot read the config file \(path): \((error as NSError).localizedDescription)")
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws(Invalid) -> [String: [(String, Int)]] {
        var values: [String: [(String, Int)]] = [:]
        let known = Set(settings.map(\.name))
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let place = "\(file) line \(index + 1)"
            guard let equals = line.firstIndex(of: "=") else {
                throw Invalid(description: "\(place): expected name = value")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard known.contains(name) else {
                throw Invalid(description: "\(place): unknown setting \"\(name)\" (known: \(settings.map(\.name).joined(separator: ", ")))")
            }
            let value = try unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces), place: place)
            values[name, default: []].append((value, index + 1))
        }
        return values
    }

    /// A bare value ends at a `#` comment; a quoted one may hold anything, with `\"` and `\\` escaped.
    private static func unquote(_ value: String, place: String) throws(Invalid) -> String {
        guard value.hasPrefix("\"") else {
            return String(value.prefix { $0 != "#" }).trimmingCharacters(in: .whitespaces)
        }
        var result = ""
        var escaped = false
        for (offset, character) in value.dropFirst().enumerated() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                let rest = value.dropFirst(offset + 2).trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw Invalid(description: "\(place): unexpected text after the quoted value")
                }
                return result
            } else {
                result.append(character)
            }
        }
        throw Invalid(description: "\(place): the quoted value is not closed")
    }
}
