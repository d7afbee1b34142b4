import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore
import Logging

/// The ECS RPC endpoint at `/`: merges query and form parameters, authenticates, dispatches on `Action`,
/// and renders results and errors in the requested format.
struct RPCController: Sendable {
    static let apiVersion = "2014-05-26"
    static let maxBodyBytes = 1 << 20

    let authenticator: RequestAuthenticator
    let actions: ActionRegistry
    let now: @Sendable () -> Date

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/") { request, context in try await respond(to: request, logger: context.logger) }
        router.post("/") { request, context in try await respond(to: request, logger: context.logger) }
    }

    func respond(to request: Request, logger: Logger) async throws -> Response {
        let requestId = UUID().uuidString
        let hostId = request.head.authority ?? "localhost"
        var format = ResponseFormat.json
        var action = "Unknown"
        do {
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: Self.maxBodyBytes) } catch { throw ECSError.requestTooLarge }
            let query = FormDecoding.pairs(Substring(request.uri.query ?? "")).map { QueryParameter($0.name, $0.value) }
            let bodyBytes = Array(body.readableBytesView)
            let form = Self.isFormEncoded(request)
                ? FormDecoding.pairs(Substring(decoding: bodyBytes, as: UTF8.self)).map { QueryParameter($0.name, $0.value) }
                : []
            let parameters = ParameterBag((query + form).map { ($0.name, $0.value) })
            format = try ResponseFormat(parameter: parameters["Format"])

            let headers = request.headers
            let authority = request.head.authority
            let header: @Sendable (String) -> [String] = { name in
                if name == "host" { return authority.map { [$0] } ?? [] }
                guard let field = HTTPField.Name(name) else { return [] }
                return headers[values: field]
            }
            // V3 carries Action and Version only in headers; V2 in parameters (its headers are unsigned).
            guard let named = parameters.string("Action") ?? header("x-acs-action").first else {
                throw ECSError.missingParameter("Action")
            }
            action = named
            guard let version = parameters.string("Version") ?? header("x-acs-version").first else {
                throw ECSError.missingParameter("Version")
            }

            let caller = try await authenticator.authenticate(
                SignedRequest(
                    method: request.method.rawValue, query: query, form: form, body: bodyBytes, header: header))
            guard version == Self.apiVersion, let handler = actions.handler(for: action) else {
                throw ECSError.invalidAction
            }
            let members = try await handler(
                ActionRequest(action: action, parameters: parameters, caller: caller, requestId: requestId, now: now()))
            let value = WireValue.object([("RequestId", .string(requestId))] + members)
            return Self.response(status: 200, body: format.render(value, root: action + "Response"), format: format)
        } catch let error as ECSError {
            logger.info("request failed", metadata: ["requestId": "\(requestId)", "action": "\(action)", "code": "\(error.code)"])
            return Self.errorResponse(error, requestId: requestId, hostId: hostId, format: format)
        } catch {
            logger.error("unexpected failure", metadata: ["requestId": "\(requestId)", "action": "\(action)", "error": "\(error)"])
            return Self.errorResponse(.internalError, requestId: requestId, hostId: hostId, format: format)
        }
    }

    private static func isFormEncoded(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
    }

    static func errorResponse(_ error: ECSError, requestId: String, hostId: String, format: ResponseFormat) -> Response {
        response(
            status: error.httpStatus,
            body: ErrorBody.render(error, requestId: requestId, hostId: hostId, format: format), format: format)
    }

    private static func response(status: Int, body: [UInt8], format: ResponseFormat) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: format.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
