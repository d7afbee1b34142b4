import ArgumentParser
import Foundation
import ImageShareCore

/// `imageshare accounts …`: account administration on the store a server uses.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Create and list accounts.",
        subcommands: [Create.self, List.self])

    /// `accounts create`: a new account with one AccessKey, printed as one JSON object.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with one AccessKey; prints {\"AccessKeyId\",\"AccessKeySecret\",\"AccountId\"}.",
            discussion: "Safe while a server runs on the same store: the server accepts the new key at once.")

        @Option(help: "A display name for the account.") var name = "account"
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (_, credentials) = try await store.withExistingStore { try await $0.createAccount(name: name, now: Date()) }
            try printJSON(credentials)
        }
    }

    /// `accounts list`: every account as a JSON array.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts as a JSON array.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let accounts = try await store.withExistingStore { try await $0.accounts() }
            try printJSON(accounts.map { AccountSummary(accountId: $0.id, name: $0.name, createdAt: $0.createdAt) })
        }
    }
}

/// One row of `accounts list`.
struct AccountSummary: Encodable {
    let accountId: String
    let name: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case accountId = "AccountId", name = "Name", createdAt = "CreationTime"
    }
}

/// A command that could not do what was asked; printed as one line, without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// Prints a value as one line of JSON with stable key order.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
