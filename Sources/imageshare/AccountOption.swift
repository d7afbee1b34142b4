import ArgumentParser
import Foundation
import ImageShareCore
import ImageShareServer

/// The account a command acts on (`--account`).
struct AccountOption: ParsableArguments {
    @Option(name: .customLong("account"), help: "The AccountId (16 digits).") var accountId: String

    func validate() throws {
        guard Account.isWellFormedID(accountId) else { throw ValidationError("--account must be a 16-digit AccountId") }
    }
}

/// A console password read from standard input (its first line), so that it never appears in a process list
/// or a shell history.
enum PasswordInput {
    static func read() throws -> String {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CommandFailure("no password on standard input (pipe it in: echo 'secret…' | imageshare …)")
        }
        guard ConsolePassword.isAcceptable(line) else {
            throw CommandFailure("the password must be 8 to 72 characters without control characters")
        }
        return line
    }
}
