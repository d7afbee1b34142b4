import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore
import Logging
import NIOCore

/// The ECS RPC endpoint at `/`: merges query and form parameters, authenticates, dispatches on `Action`,
/// and renders results and errors in the requested format.
struct RPCController: Sendable {
    static let apiVersion = "2014-05-26"
    static let maxBodyBytes = 1 << 20

    let authenticator: RequestAuthenticator
    let actions: ActionRegistry
    let rateLimiter: RateLimiter
    let faults: FaultInjector
    let metrics: ServerMetrics
    let identifiers: IdentifierGenerator
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/") { request, context in try await respond(to: request, logger: context.logger) }
        router.post("/") { request, context in try await respond(to: request, logger: context.logger) }
    }

    func respond(to request: Request, logger: Logger) async throws -> Response {
        let start = ContinuousClock.now
        var record = RequestRecord(requestId: identifiers.requestID())
        let response = await answer(request, logger: logger, record: &record)
        let latency = ContinuousClock.now - start
        metrics.recordRequest(action: record.action, code: record.code, duration: latency)
        // One line per request, for operators: never a secret, a signature or a parameter value. A passing dry
        // run travels as an error on the wire, but nothing failed: its line says so.
        logger.info(
            record.code == ECSError.dryRunOperation.code ? "dry run passed" : "request",
            metadata: [
                "request_id": "\(record.requestId)", "action": "\(record.action)", "account": "\(record.account)",
                "code": "\(record.code)", "status": "\(response.status.code)",
                "latency_ms": "\(String(format: "%.2f", Double(latency.nanoseconds) / 1_000_000))",
            ])
        return response
    }

    /// What the request log line and the metrics say about one request, filled in as it is answered.
    struct RequestRecord {
        let requestId: String
        var action = "Unknown"
        var account = "-"
        var code = "OK"
    }

    private func answer(_ request: Request, logger: Logger, record: inout RequestRecord) async -> Response {
        let requestId = record.requestId
        let hostId = request.head.authority ?? "localhost"
        var format = ResponseFormat.json
        do {
            let bodyBytes = try await Self.body(of: request)
            let query = FormDecoding.pairs(Substring(request.uri.query ?? ""))
            let form = Self.isFormEncoded(request) ? FormDecoding.pairs(Substring(decoding: bodyBytes, as: UTF8.self)) : []
            // A limit broken anywhere is still answered in the format asked for, when that is readable.
            format = (try? ResponseFormat(parameter: (query + form).first { $0.name == "Format" }?.value)) ?? .json
            // Before anything reads a value (the authenticator binds some in store queries).
            try RequestLimits.check(query + form)
            let parameters = ParameterBag(query + form)
            format = try ResponseFormat(parameter: parameters["Format"])

            let headers = request.headers
            let authority = request.head.authority
            let signed = SignedRequest(
                method: request.method.rawValue, query: query.map { QueryParameter($0.name, $0.value) },
                form: form.map { QueryParameter($0.name, $0.value) }, body: bodyBytes,
                header: { name in
                    if name == "host" { return authority.map { [$0] } ?? [] }
                    guard let field = HTTPField.Name(name) else { return [] }
                    return headers[values: field]
                })
            // Only what the signature covers names the operation: V2's parameters, V3's headers.
            let operation = signed.operation
            guard let action = operation.action else { throw ECSError.missingParameter("Action") }
            // Only names the service knows reach the log and the metrics' labels.
            let handler = actions.handler(for: action)
            if handler != nil { record.action = action }
            guard let version = operation.version else { throw ECSError.missingParameter("Version") }

            let caller = try await authenticator.authenticate(signed)
            record.account = caller.accountId
            guard version == Self.apiVersion else { throw ECSError.unsupportedVersion(version) }
            guard let handler else { throw ECSError.invalidAction(action) }
            try await rateLimiter.admit(caller: caller, action: action, now: now())
            let buildFails = try await faults.intercept(
                action: action, accountId: caller.accountId, imageId: parameters["ImageId"],
                isDryRun: (try? parameters.bool("DryRun")) == true, now: now())
            let members = try await handler(
                ActionRequest(
                    action: action, parameters: parameters, caller: caller, requestId: requestId, now: now(),
                    imageBuildFails: buildFails))
            let value = WireValue.object([("RequestId", .string(requestId))] + members)
            // Members in the order ECS's service writes them; some clients depend on it (footmark).
            return Self.response(
                status: 200, body: format.render(value, root: action + "Response", order: .javaHashMap), format: format)
        } catch let error as ECSError {
            record.code = error.code
            return Self.errorResponse(error, requestId: requestId, hostId: hostId, format: format)
        } catch {
            record.code = ECSError.internalError.code
            logger.error("unexpected failure", metadata: ["request_id": "\(requestId)", "action": "\(record.action)", "error": "\(error)"])
            return Self.errorResponse(.internalError, requestId: requestId, hostId: hostId, format: format)
        }
    }

    /// The whole body: too large is 413, broken (a bad chunk, an early end) is 400.
    private static func body(of request: Request) async throws(ECSError) -> [UInt8] {
        var request = request
        do {
            return Array(try await request.collectBody(upTo: maxBodyBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw .requestTooLarge
        } catch {
            throw .unreadableBody
        }
    }

    private static func isFormEncoded(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
    }

    static func errorResponse(_ error: ECSError, requestId: String, hostId: String, format: ResponseFormat) -> Response {
        var response = response(
            status: error.httpStatus,
            body: ErrorBody.render(error, requestId: requestId, hostId: hostId, format: format), format: format)
        if let wait = error.retryAfterMilliseconds { response.headers[Self.retryAfter] = String(wait) }
        return response
    }

    /// How long a throttled client should wait, in milliseconds (the new SDK reads it).
    static let retryAfter = HTTPField.Name("x-acs-retry-after")!

    private static func response(status: Int, body: [UInt8], format: ResponseFormat) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: format.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
