import ArgumentParser
import Foundation
import ImageShareCore
import ImageShareServer

/// `imageshare accounts …`: account administration on the store a server uses.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Create, list, enable and disable accounts, and set console passwords.",
        subcommands: [Create.self, List.self, SetPassword.self, Disable.self, Enable.self])

    /// `accounts create`: a new account with one AccessKey, printed as one JSON object.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account with one AccessKey; prints {\"AccessKeyId\",\"AccessKeySecret\",\"AccountId\"}.",
            discussion: "Safe while a server runs on the same store: the server accepts the new key at once.")

        @Option(help: "A display name for the account (1-64 characters); a name no other account has can be typed at the console's sign-in.")
        var name = "account"
        @Flag(help: "Read a console password from standard input (8-72 characters), so the account can sign in to the console.")
        var passwordStdin = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard Account.isValidName(name) else { throw ValidationError("--name must be 1 to 64 characters without control characters") }
        }

        func run() async throws {
            let password = passwordStdin ? try PasswordInput.read() : nil
            let hash = try await password.asyncMap { try await ConsolePassword.hash($0) }
            let name = name
            let credentials = try await store.withExistingStore { store in
                let (account, credentials) = try await store.createAccount(name: name, now: Date())
                if let hash { _ = try await store.setPasswordHash(hash, accountId: account.id) }
                return credentials
            }
            try printJSON(credentials)
        }
    }

    /// `accounts list`: every account as a JSON array.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts as a JSON array.")

        @OptionGroup var store: StoreOptions

        func run() async throws {
            let accounts = try await store.withExistingStore { try await $0.accounts() }
            try printJSON(accounts.map {
                AccountSummary(accountId: $0.id, name: $0.name, status: $0.isEnabled ? "Active" : "Disabled", createdAt: $0.createdAt)
            })
        }
    }

    /// `accounts set-password --account ID`: the console password, read from standard input.
    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Set an account's console password, read from standard input (8-72 characters).",
            discussion: "Example: printf '%s\\n' 'a long passphrase' | imageshare accounts set-password --account 1234567890123456")

        @OptionGroup var account: AccountOption
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let hash = try await ConsolePassword.hash(try PasswordInput.read())
            let accountId = account.accountId
            let changed = try await store.withExistingStore { store in
                let changed = try await store.setPasswordHash(hash, accountId: accountId)
                // Sessions signed in with the old password end.
                if changed { try await store.deleteSessions(accountId: accountId, keeping: nil) }
                return changed
            }
            guard changed else { throw CommandFailure("no account \(accountId) in this store") }
            try printJSON(["AccountId": accountId, "Console": "password set"])
        }
    }

    /// `accounts disable --account ID`.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: its console sessions end, it cannot sign in, and every one of its keys is refused.")

        @OptionGroup var account: AccountOption
        @OptionGroup var store: StoreOptions

        func run() async throws { try await AccountsCommand.setEnabled(false, account: account, store: store) }
    }

    /// `accounts enable --account ID`.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")

        @OptionGroup var account: AccountOption
        @OptionGroup var store: StoreOptions

        func run() async throws { try await AccountsCommand.setEnabled(true, account: account, store: store) }
    }

    fileprivate static func setEnabled(_ enabled: Bool, account: AccountOption, store: StoreOptions) async throws {
        let accountId = account.accountId
        let changed = try await store.withExistingStore { try await $0.setAccountEnabled(enabled, accountId: accountId) }
        guard changed else { throw CommandFailure("no account \(accountId) in this store") }
        try printJSON(["AccountId": accountId, "Status": enabled ? "Active" : "Disabled"])
    }
}

extension Optional {
    /// `map` with an asynchronous transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// One row of `accounts list`.
struct AccountSummary: Encodable {
    let accountId: String
    let name: String
    let status: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case accountId = "AccountId", name = "Name", status = "Status", createdAt = "CreationTime"
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
