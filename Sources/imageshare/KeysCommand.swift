import ArgumentParser
import Foundation
import ImageShareCore

/// `imageshare keys …`: AccessKey administration; a running server sees every change at once.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list, disable and enable AccessKeys.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self])

    /// `keys create --account ID`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an AccessKey to an account; prints {\"AccessKeyId\",\"AccessKeySecret\",\"AccountId\"}.")

        @OptionGroup var account: AccountOption
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let accountId = account.accountId
            let created = try await store.withExistingStore { try await $0.createAccessKey(accountId: accountId, now: Date()) }
            guard let credentials = created else { throw CommandFailure("no account \(account.accountId) in this store") }
            try printJSON(credentials)
        }
    }

    /// `keys list --account ID` (secrets are never listed).
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's AccessKeys (without secrets).")

        @OptionGroup var account: AccountOption
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let accountId = account.accountId
            let keys = try await store.withExistingStore { store -> [AccessKey]? in
                guard try await store.account(id: accountId) != nil else { return nil }
                return try await store.accessKeys(accountId: accountId)
            }
            guard let keys else { throw CommandFailure("no account \(accountId) in this store") }
            try printJSON(keys.map { KeySummary(accessKeyId: $0.id, status: $0.isEnabled ? "Active" : "Inactive", createdAt: $0.createdAt) })
        }
    }

    /// `keys disable --account ID --access-key-id AK`.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an AccessKey; requests signed with it are refused at once.")

        @OptionGroup var account: AccountOption
        @Option(help: "The AccessKeyId to disable.") var accessKeyId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await KeysCommand.setEnabled(false, accessKeyId: accessKeyId, account: account, store: store)
        }
    }

    /// `keys enable --account ID --access-key-id AK`.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled AccessKey again.")

        @OptionGroup var account: AccountOption
        @Option(help: "The AccessKeyId to enable.") var accessKeyId: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await KeysCommand.setEnabled(true, accessKeyId: accessKeyId, account: account, store: store)
        }
    }

    fileprivate static func setEnabled(_ enabled: Bool, accessKeyId: String, account: AccountOption, store: StoreOptions) async throws {
        let accountId = account.accountId
        let changed = try await store.withExistingStore {
            try await $0.setAccessKeyEnabled(enabled, accessKeyId: accessKeyId, accountId: accountId)
        }
        guard changed else { throw CommandFailure("account \(account.accountId) has no AccessKey \(accessKeyId) in this store") }
        try printJSON(KeySummary(accessKeyId: accessKeyId, status: enabled ? "Active" : "Inactive", createdAt: nil))
    }
}

/// One row of `keys list`.
struct KeySummary: Encodable {
    let accessKeyId: String
    let status: String
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case accessKeyId = "AccessKeyId", status = "Status", createdAt = "CreationTime"
    }
}
