import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore
import NIOCore

/// The test control endpoint under `/_imageshare/`, served only when the server was started with
/// `--admin-token`, and only to requests that carry that token: reset, accounts with known credentials, the
/// service clock, and fault injection. Never on the ECS path (`/`).
struct ControlController: Sendable {
    let token: String
    let fixtures: [KnownAccount]
    let store: any StoreReset
    let accounts: any AccountStore
    let clock: ServiceClock
    let faults: FaultInjector

    static let prefix = "/_imageshare"

    func addRoutes(to router: Router<some RequestContext>) {
        let group = router.group(RouterPath(Self.prefix))
        group.post("reset") { request, _ in try await guarded(request) { try await reset($0) } }
        group.post("accounts") { request, _ in try await guarded(request) { try await createAccount($0) } }
        group.get("clock") { request, _ in try await guarded(request) { _ in clockState() } }
        group.post("clock") { request, _ in try await guarded(request) { try advanceClock($0) } }
        group.get("faults") { request, _ in try await guarded(request) { _ in faultList() } }
        group.post("faults") { request, _ in try await guarded(request) { try addFault($0) } }
        group.delete("faults") { request, _ in
            try await guarded(request) { _ in
                faults.clear()
                return faultList()
            }
        }
    }

    /// A control request's failure: HTTP status and a message, sent as `{"Code","Message"}`.
    struct Refusal: Error {
        let status: HTTPResponse.Status
        let code: String
        let message: String
    }

    private func guarded(_ request: Request, _ body: ([UInt8]) async throws -> [String: Any]) async throws -> Response {
        do {
            let presented =
                request.headers[HTTPField.Name("x-imageshare-admin-token")!]
                ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let presented, ConstantTime.equal(presented, token) else {
                throw Refusal(status: .unauthorized, code: "InvalidAdminToken", message: "This endpoint needs the server's --admin-token.")
            }
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            return Self.json(.ok, try await body(Array(bytes.readableBytesView)))
        } catch let refusal as Refusal {
            return Self.json(refusal.status, ["Code": refusal.code, "Message": refusal.message])
        } catch let error as ECSError {
            return Self.json(.init(code: error.httpStatus), ["Code": error.code, "Message": error.message])
        } catch is NIOTooManyBytesError {
            return Self.json(.contentTooLarge, ["Code": "InvalidParameter", "Message": "The body is larger than 64 KiB."])
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        guard !bytes.isEmpty else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw Refusal(status: .badRequest, code: "InvalidParameter", message: "The body must be a JSON object.")
        }
        return object
    }

    private static func invalid(_ message: String) -> Refusal {
        Refusal(status: .badRequest, code: "InvalidParameter", message: message)
    }

    // MARK: Reset and accounts

    /// Empties the store, puts the clock back and drops every fault; then creates the `--account` fixtures
    /// unless `{"Empty": true}`.
    private func reset(_ body: [UInt8]) async throws -> [String: Any] {
        let empty = try Self.object(body)["Empty"] as? Bool ?? false
        try await store.eraseEverything()
        clock.reset()
        faults.clear()
        var created: [[String: Any]] = []
        if !empty {
            for known in fixtures {
                _ = try await accounts.createAccount(known, now: clock.now())
                created.append(["AccountId": known.accountId, "AccessKeyId": known.accessKeyId, "Name": known.name])
            }
        }
        return ["Accounts": created]
    }

    /// `{"Name"}` for generated credentials, or with `AccountId`, `AccessKeyId` and `AccessKeySecret` chosen.
    private func createAccount(_ body: [UInt8]) async throws -> [String: Any] {
        let object = try Self.object(body)
        guard let name = object["Name"] as? String else { throw Self.invalid("Name is required.") }
        if object["AccountId"] != nil || object["AccessKeyId"] != nil || object["AccessKeySecret"] != nil {
            let known: KnownAccount
            do {
                known = try KnownAccount(
                    name: name, accountId: object["AccountId"] as? String ?? "", accessKeyId: object["AccessKeyId"] as? String ?? "",
                    accessKeySecret: object["AccessKeySecret"] as? String ?? "")
            } catch {
                throw Self.invalid(error.description)
            }
            _ = try await accounts.createAccount(known, now: clock.now())
            return ["AccountId": known.accountId, "AccessKeyId": known.accessKeyId, "AccessKeySecret": known.accessKeySecret]
        }
        guard (1...64).contains(name.count) else { throw Self.invalid("Name must be 1 to 64 characters.") }
        let (_, credentials) = try await accounts.createAccount(name: name, now: clock.now())
        return [
            "AccountId": credentials.accountId, "AccessKeyId": credentials.accessKeyId,
            "AccessKeySecret": credentials.accessKeySecret,
        ]
    }

    // MARK: Clock

    private func clockState() -> [String: Any] {
        ["Now": ECSTimestamp.format(clock.now()), "OffsetSeconds": clock.offsetSeconds]
    }

    /// `{"AdvanceSeconds": N}`: 0 to ten years forward.
    private func advanceClock(_ body: [UInt8]) throws -> [String: Any] {
        guard let seconds = (try Self.object(body)["AdvanceSeconds"] as? NSNumber)?.doubleValue, seconds.isFinite,
            (0...315_360_000).contains(seconds)
        else { throw Self.invalid("AdvanceSeconds must be a number from 0 to 315360000.") }
        clock.advance(by: seconds)
        return clockState()
    }

    // MARK: Faults

    /// `{"Action", "Count"?, "AccountId"?, "ImageId"?}` with one effect: `"Code"` (+ `"Status"`, `"Message"`),
    /// `"DelayMilliseconds"`, or `"Throttle": "RATE[/BURST]"`.
    private func addFault(_ body: [UInt8]) throws -> [String: Any] {
        let object = try Self.object(body)
        guard let action = object["Action"] as? String, (1...64).contains(action.count),
            action.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { throw Self.invalid("Action must be an action name.") }
        var count: Int?
        if let value = object["Count"] {
            guard let number = (value as? NSNumber)?.intValue, (1...1_000_000).contains(number) else {
                throw Self.invalid("Count must be a whole number from 1 to 1000000 (omit it for every call until cleared).")
            }
            count = number
        }
        let effect: FaultInjector.Effect
        if let code = object["Code"] as? String {
            let status = (object["Status"] as? NSNumber)?.intValue ?? 400
            guard (1...64).contains(code.count), code.utf8.allSatisfy({ $0 == 0x2E || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }),
                (400...599).contains(status)
            else { throw Self.invalid("Code must be an ECS error code (letters, digits, dots) and Status from 400 to 599.") }
            let message = object["Message"] as? String ?? "Injected by the ImageShare control endpoint."
            guard message.count <= 256 else { throw Self.invalid("Message must be at most 256 characters.") }
            let retryAfter = code.hasPrefix("Throttling") ? 1_000 : nil
            effect = .error(ECSError(code: code, httpStatus: status, message: message, retryAfterMilliseconds: retryAfter))
        } else if let delay = object["DelayMilliseconds"] {
            guard let milliseconds = (delay as? NSNumber)?.intValue, (1...60_000).contains(milliseconds) else {
                throw Self.invalid("DelayMilliseconds must be from 1 to 60000.")
            }
            effect = .delay(.milliseconds(milliseconds))
        } else if let throttle = object["Throttle"] as? String {
            guard let limit = RateLimit(parsing: throttle) else { throw Self.invalid("Throttle must be RATE or RATE/BURST.") }
            effect = .throttle(limit)
        } else {
            throw Self.invalid("Give one of Code, DelayMilliseconds or Throttle.")
        }
        let fault = faults.add(
            action: action, accountId: object["AccountId"] as? String, imageId: object["ImageId"] as? String, count: count,
            effect: effect)
        return ["FaultId": fault.id]
    }

    private func faultList() -> [String: Any] {
        ["Faults": faults.active.map { fault -> [String: Any] in
            var entry: [String: Any] = ["FaultId": fault.id, "Action": fault.action]
            entry["AccountId"] = fault.accountId
            entry["ImageId"] = fault.imageId
            entry["Remaining"] = fault.remaining
            switch fault.effect {
            case let .error(error): entry["Code"] = error.code
            case let .delay(duration): entry["DelayMilliseconds"] = Int(duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000)
            case let .throttle(limit): entry["Throttle"] = "\(limit.rate)/\(limit.burst)"
            }
            return entry
        }]
    }
}
