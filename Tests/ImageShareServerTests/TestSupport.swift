import ECSSignature
import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageShareCore
import ImageShareServer
import ImageShareStore
import ImageShareTestSupport
import Logging
import Testing

/// A server on a fresh in-memory store with a pinned clock, and one account to sign with.
struct TestServer {
    static let now = Date(timeIntervalSince1970: 1_780_000_000)

    let store: SQLStore
    let credentials: IssuedCredentials
    let app: any ApplicationProtocol

    /// A server on a new store, or on `store` (a second node of the same store).
    init(sharing existing: SQLStore? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        if let existing { store = existing } else { store = try await StoreEngine.http.makeStore() }
        credentials = try await store.createAccount(name: "tester", now: Self.now).1
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var configuration = ServerConfiguration(now: { TestServer.now })
        configure(&configuration)
        app = buildApplication(configuration: configuration, dependencies: ServerDependencies(store: store), logger: logger)
    }

    var signer: TestSigner { TestSigner(keyId: credentials.accessKeyId, secret: credentials.accessKeySecret) }

    /// Sends one request through the router (no socket) and returns status, headers and body text.
    func send(_ request: TestRequest) async throws -> TestReply {
        try await app.test(.router) { client in
            try await client.execute(
                uri: request.uri, method: request.method, headers: request.headers,
                body: request.body.map { ByteBuffer(string: $0) }
            ) { response in
                TestReply(
                    status: Int(response.status.code), contentType: response.headers[.contentType] ?? "",
                    body: String(buffer: response.body), headers: response.headers)
            }
        }
    }
}

/// A request ready to send.
struct TestRequest {
    var uri: String
    var method: HTTPRequest.Method
    var headers: HTTPFields = [:]
    var body: String?
}

/// What came back.
struct TestReply {
    let status: Int
    let contentType: String
    let body: String
    var headers = HTTPFields()

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    var code: String? { json["Code"] as? String }
}

/// Signs requests the way the official SDKs do, with a chosen timestamp and nonce.
struct TestSigner {
    let keyId: String
    let secret: String

    static func query(_ parameters: [(String, String)]) -> String {
        parameters.map { PercentEncoding.encode($0.0) + "=" + PercentEncoding.encode($0.1) }.joined(separator: "&")
    }

    /// The common V2 parameters plus `Signature`, as the old SDK sends them (with an empty `SignatureType`).
    func v2Parameters(
        action: String, _ parameters: [(String, String)], method: String = "POST", date: Date = TestServer.now,
        nonce: String = UUID().uuidString, secretOverride: String? = nil, version: String = "2014-05-26"
    ) -> [(String, String)] {
        var all = parameters + [
            ("Action", action), ("Version", version), ("Format", "JSON"), ("AccessKeyId", keyId),
            ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"), ("SignatureNonce", nonce),
            ("SignatureType", ""), ("Timestamp", ECSTimestamp.format(date)),
        ]
        let stringToSign = SignatureV2.stringToSign(method: method, parameters: all.map { QueryParameter($0.0, $0.1) })
        all.append(("Signature", SignatureV2.signature(stringToSign: stringToSign, secret: secretOverride ?? secret)))
        return all
    }

    /// A V2 request with every parameter in the query string.
    func v2(
        action: String, _ parameters: [(String, String)] = [], method: HTTPRequest.Method = .post,
        date: Date = TestServer.now, nonce: String = UUID().uuidString, secretOverride: String? = nil,
        version: String = "2014-05-26"
    ) -> TestRequest {
        let all = v2Parameters(
            action: action, parameters, method: method.rawValue, date: date, nonce: nonce, secretOverride: secretOverride,
            version: version)
        return TestRequest(uri: "/?" + Self.query(all), method: method)
    }

    /// A V3 request (`ACS3-HMAC-SHA256`), Action and Version in headers, parameters in the query.
    func v3(
        action: String, _ parameters: [(String, String)] = [], date: Date = TestServer.now,
        nonce: String = UUID().uuidString.lowercased(), body: String = "", contentType: String? = nil,
        signed: [String]? = nil, claimedPayloadHash: String? = nil
    ) -> TestRequest {
        var values: [String: String] = [
            "accept": "application/json", "host": "localhost", "x-acs-action": action,
            "x-acs-version": "2014-05-26", "x-acs-date": ECSTimestamp.format(date), "x-acs-signature-nonce": nonce,
            "x-acs-content-sha256": claimedPayloadHash ?? SignatureV3.hashedPayload(Array(body.utf8)),
        ]
        values["content-type"] = contentType
        // Like the SDK: every header it sends is signed.
        let signed = signed ?? values.keys.sorted()
        let canonical = SignatureV3.canonicalRequest(
            method: "POST", query: parameters.map { QueryParameter($0.0, $0.1) }, signedHeaders: signed,
            headerValue: { values[$0].map { [$0] } ?? [] }, hashedPayload: values["x-acs-content-sha256"]!)
        let signature = SignatureV3.signature(
            stringToSign: SignatureV3.stringToSign(canonicalRequest: canonical), secret: secret)
        var headers = HTTPFields()
        for (name, value) in values where name != "host" { headers[HTTPField.Name(name)!] = value }
        headers[.authorization] =
            "ACS3-HMAC-SHA256 Credential=\(keyId),SignedHeaders=\(signed.joined(separator: ";")),Signature=\(signature)"
        // The SDK encodes a space as '+' in the URL; the server must read it back as a space.
        let query = Self.query(parameters).replacingOccurrences(of: "%20", with: "+")
        return TestRequest(uri: "/" + (query.isEmpty ? "" : "?" + query), method: .post, headers: headers, body: body.isEmpty ? nil : body)
    }
}
