import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore
import NIOCore

/// The test control endpoint under `/_imageshare/`, served only when the server was started with
/// `--admin-token`, and only to requests that carry that token: reset, named snapshots, accounts with known
/// credentials, the service clock, the region list, and fault injection. Never on the ECS path (`/`).
struct ControlController: Sendable {
    let token: String
    let fixtures: [KnownAccount]
    let fixtureState: [UInt8]?
    let store: any StoreReset
    let stateFiles: any StateFileStore
    let accounts: any AccountStore
    let regions: RegionCatalogue
    let clock: ServiceClock
    let faults: FaultInjector
    /// Called whenever the whole state is replaced: a key ID may come back with another secret.
    let forgetCachedKeys: @Sendable () -> Void
    let snapshots = SnapshotShelf()

    static let prefix = "/_imageshare"

    func addRoutes(to router: Router<some RequestContext>) {
        let group = router.group(RouterPath(Self.prefix))
        group.post("reset") { request, _ in try await guarded(request) { try await reset($0) } }
        group.post("accounts") { request, _ in try await guarded(request) { try await createAccount($0) } }
        group.get("state") { request, _ in try await answering(request) { _ in try await exportState() } }
        group.post("state") { request, _ in
            try await guarded(request, bodyLimit: Self.maxStateFileBytes) { try await importState($0) }
        }
        group.get("snapshots") { request, _ in try await guarded(request) { _ in snapshotList() } }
        group.post("snapshots/:name") { request, context in
            try await guarded(request) { _ in try await saveSnapshot(try Self.snapshotName(context.parameters.get("name"))) }
        }
        group.post("snapshots/:name/restore") { request, context in
            try await guarded(request) { _ in try await restoreSnapshot(try Self.snapshotName(context.parameters.get("name"))) }
        }
        group.delete("snapshots/:name") { request, context in
            try await guarded(request) { _ in try deleteSnapshot(try Self.snapshotName(context.parameters.get("name"))) }
        }
        group.get("regions") { request, _ in try await guarded(request) { _ in regionList() } }
        group.post("regions") { request, _ in try await guarded(request) { try offerRegions($0) } }
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

    /// The largest state file the endpoint takes.
    static let maxStateFileBytes = 64 << 20

    /// A control call answered with a JSON object.
    private func guarded(_ request: Request, bodyLimit: Int = 64 * 1024, _ body: ([UInt8]) async throws -> [String: Any]) async throws
        -> Response
    {
        try await answering(request, bodyLimit: bodyLimit) { Self.json(.ok, try await body($0)) }
    }

    /// Checks the token, reads the body, and turns every refusal into a JSON error with its status.
    private func answering(_ request: Request, bodyLimit: Int = 64 * 1024, _ body: ([UInt8]) async throws -> Response) async throws
        -> Response
    {
        do {
            let presented =
                request.headers[HTTPField.Name("x-imageshare-admin-token")!]
                ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let presented, ConstantTime.equal(presented, token) else {
                throw Refusal(status: .unauthorized, code: "InvalidAdminToken", message: "This endpoint needs the server's --admin-token.")
            }
            var request = request
            let bytes = try await request.collectBody(upTo: bodyLimit)
            return try await body(Array(bytes.readableBytesView))
        } catch let refusal as Refusal {
            return Self.json(refusal.status, ["Code": refusal.code, "Message": refusal.message])
        } catch let error as ECSError {
            return Self.json(.init(code: error.httpStatus), ["Code": error.code, "Message": error.message])
        } catch let invalid as StateFileError {
            return Self.json(.badRequest, ["Code": "InvalidStateFile", "Message": invalid.description])
        } catch is NIOTooManyBytesError {
            return Self.json(
                .contentTooLarge, ["Code": "InvalidParameter", "Message": "The body is larger than \(bodyLimit >> 10) KiB."])
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

    /// Empties the store (a seeded ID stream starts again), puts the clock back, offers the start regions again
    /// and drops every fault; then loads the `--fixtures` file and creates the `--account` fixtures unless
    /// `{"Empty": true}`. Saved snapshots stay.
    private func reset(_ body: [UInt8]) async throws -> [String: Any] {
        let empty = try Self.object(body)["Empty"] as? Bool ?? false
        try await store.eraseEverything()
        forgetCachedKeys()
        clock.reset()
        faults.clear()
        regions.offerStartRegions()
        var created: [[String: Any]] = []
        if !empty, let fixtureState {
            // A seeded stream started again above draws what the start drew for this file: the same IDs follow.
            try await stateFiles.importState(fixtureState, now: clock.now())
        }
        if !empty {
            for known in fixtures where try await accounts.account(id: known.accountId) == nil {
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

    // MARK: State files

    /// The whole state as a state file: what `--fixtures` and `imageshare state import` take.
    private func exportState() async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try await stateFiles.exportState())))
    }

    /// Replaces the whole state with the body's state file; the clock, faults, regions and snapshots stay.
    private func importState(_ body: [UInt8]) async throws -> [String: Any] {
        try await stateFiles.importState(body, now: clock.now())
        forgetCachedKeys()
        return ["Imported": true]
    }

    // MARK: Snapshots

    private static func snapshotName(_ name: String?) throws -> String {
        guard let name, SnapshotShelf.isValidName(name) else {
            throw invalid("A snapshot name is 1 to 64 letters, digits, '.', '_' or '-'.")
        }
        return name
    }

    private func saveSnapshot(_ name: String) async throws -> [String: Any] {
        let entry = SnapshotShelf.Entry(name: name, snapshot: try await store.saveState(), savedAt: clock.now())
        do {
            try snapshots.put(entry)
        } catch {
            let limit =
                switch error {
                case .tooMany: "At most \(SnapshotShelf.maxSnapshots) snapshots are kept"
                case .tooLarge: "Snapshots may hold at most \(SnapshotShelf.maxTotalBytes >> 20) MiB in all"
                }
            throw Refusal(status: .conflict, code: "SnapshotLimitExceeded", message: limit + "; delete one first.")
        }
        return Self.describe(entry)
    }

    /// Replaces the whole state with the snapshot; the clock, the faults and the region list stay as they are.
    private func restoreSnapshot(_ name: String) async throws -> [String: Any] {
        guard let entry = snapshots.entry(named: name) else { throw Self.snapshotNotFound(name) }
        try await store.restoreState(entry.snapshot)
        forgetCachedKeys()
        return Self.describe(entry)
    }

    private func deleteSnapshot(_ name: String) throws -> [String: Any] {
        guard snapshots.remove(named: name) else { throw Self.snapshotNotFound(name) }
        return snapshotList()
    }

    private func snapshotList() -> [String: Any] { ["Snapshots": snapshots.all.map(Self.describe)] }

    private static func describe(_ entry: SnapshotShelf.Entry) -> [String: Any] {
        [
            "Name": entry.name, "SavedAt": ECSTimestamp.format(entry.savedAt), "Rows": entry.snapshot.rowCount,
            "Bytes": entry.snapshot.byteCount,
        ]
    }

    private static func snapshotNotFound(_ name: String) -> Refusal {
        Refusal(status: .notFound, code: "SnapshotNotFound", message: "There is no snapshot named \(name).")
    }

    // MARK: Regions

    private func regionList() -> [String: Any] {
        ["RegionIds": regions.regions.map(\.id), "StartRegionIds": regions.startRegions.map(\.id)]
    }

    /// `{"RegionIds": [...]}`: offer exactly these (each one the server started with) until the next reset.
    private func offerRegions(_ body: [UInt8]) throws -> [String: Any] {
        guard let ids = try Self.object(body)["RegionIds"] as? [String], (1...64).contains(ids.count) else {
            throw Self.invalid("RegionIds must be a list of 1 to 64 region IDs.")
        }
        if case let .failure(unknown) = regions.offer(ids) {
            throw Self.invalid(
                "\(unknown.id.isEmpty ? "An empty ID" : unknown.id) is not one of the regions this server started with: "
                    + regions.startRegions.map(\.id).joined(separator: ", ") + ".")
        }
        return regionList()
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
    /// `"DelayMilliseconds"`, `"Throttle": "RATE[/BURST]"`, or `"CreateFailed": true` (CreateImage, CopyImage).
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
        } else if object["CreateFailed"] as? Bool == true {
            guard FaultInjector.imageBuildingActions.contains(action) else {
                throw Self.invalid("CreateFailed applies to CreateImage and CopyImage.")
            }
            effect = .failImageBuild
        } else {
            throw Self.invalid("Give one of Code, DelayMilliseconds, Throttle or CreateFailed.")
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
            case .failImageBuild: entry["CreateFailed"] = true
            }
            return entry
        }]
    }
}
