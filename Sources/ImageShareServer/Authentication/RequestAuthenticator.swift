import ECSSignature
import Foundation
import ECSWire
import ImageShareCore

/// The account and key a verified request acts for.
public struct Caller: Sendable, Equatable {
    public let accountId: String
    public let accessKeyId: String
}

/// What signature verification needs to know about one HTTP request.
struct SignedRequest: Sendable {
    let method: String
    /// Decoded query-string pairs in arrival order.
    let query: [QueryParameter]
    /// Decoded form-body pairs (V2 signs them together with the query).
    let form: [QueryParameter]
    let body: [UInt8]
    /// Every value of a lower-cased header name; `host` is the request authority.
    let header: @Sendable (String) -> [String]

    /// The V3 `Authorization` header, or nil for a V2 request.
    var v3Authorization: String? {
        header("authorization").first.flatMap { $0.hasPrefix("ACS3-") ? $0 : nil }
    }

    /// The action and version as the signature covers them: V2 signs its parameters and leaves headers
    /// unsigned, V3 signs the `x-acs-action` and `x-acs-version` headers (the authenticator insists on both).
    var operation: (action: String?, version: String?) {
        func nonEmpty(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }
        if v3Authorization != nil {
            return (nonEmpty(header("x-acs-action").first), nonEmpty(header("x-acs-version").first))
        }
        let parameters = query + form
        return (
            nonEmpty(parameters.first { $0.name == "Action" }?.value),
            nonEmpty(parameters.first { $0.name == "Version" }?.value)
        )
    }
}

/// Verifies V2 and V3 signatures in the order ECS documents: parameters present → key exists and is
/// enabled → timestamp within 15 minutes → signature → nonce not used before (claimed only after the
/// signature verified, so a forged request cannot burn a nonce).
struct RequestAuthenticator: Sendable {
    let store: any CredentialStore
    let now: @Sendable () -> Date
    let keys = AccessKeyCache()
    static let allowedSkew: TimeInterval = 15 * 60

    func authenticate(_ request: SignedRequest) async throws -> Caller {
        if let authorization = request.v3Authorization {
            return try await verifyV3(request, authorizationHeader: authorization)
        }
        return try await verifyV2(request)
    }

    /// Nonces are stored (and indexed) per key, so they are kept to what clients send: UUIDs and hex digests.
    static let maxNonceLength = 128

    /// A nonce of 1–128 visible ASCII characters, or `InvalidParameter` naming where it came from.
    static func checkNonce(_ nonce: String, parameter: String) throws(ECSError) {
        guard nonce.utf8.count <= maxNonceLength, nonce.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalidParameter(parameter, "1 to \(maxNonceLength) visible ASCII characters")
        }
    }

    private func verifyV2(_ request: SignedRequest) async throws -> Caller {
        let parameters = request.query + request.form
        func value(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
        func required(_ name: String) throws(ECSError) -> String {
            guard let found = value(name), !found.isEmpty else { throw .missingParameter(name) }
            return found
        }
        let keyID = try required("AccessKeyId")
        let signature = try required("Signature")
        let method = try required("SignatureMethod")
        guard method == "HMAC-SHA1" else { throw ECSError.invalidSignatureParameter("SignatureMethod") }
        let version = try required("SignatureVersion")
        guard version == "1.0" else { throw ECSError.invalidSignatureParameter("SignatureVersion") }
        let nonce = try required("SignatureNonce")
        try Self.checkNonce(nonce, parameter: "SignatureNonce")
        let timestamp = try required("Timestamp")

        let stringToSign = SignatureV2.stringToSign(method: request.method, parameters: parameters)
        return try await withEnabledKey(keyID) { key in
            let signedAt = try checkTimestamp(timestamp)
            guard SignatureV2.isValid(signature, stringToSign: stringToSign, secret: key.secret) else {
                throw ECSError.signatureDoesNotMatch(serverStringToSign: stringToSign)
            }
            try await claim(nonce, for: key, signedAt: signedAt)
            return Caller(accountId: key.accountId, accessKeyId: key.id)
        }
    }

    private func verifyV3(_ request: SignedRequest, authorizationHeader: String) async throws -> Caller {
        guard let authorization = SignatureV3.Authorization(header: authorizationHeader) else {
            throw ECSError.incompleteSignature("The Authorization header is malformed.")
        }
        guard authorization.algorithm == SignatureV3.algorithm else {
            throw ECSError.incompleteSignature("The signature algorithm \(authorization.algorithm) is not supported.")
        }
        // These headers must be covered by the signature, or a captured request could be replayed with a new
        // nonce or date, or turned into another action.
        for name in ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"]
        where !authorization.signedHeaders.contains(name) {
            throw ECSError.incompleteSignature("The header \(name) must be signed.")
        }
        // The content type decides whether the body is read as parameters, so it must not be changeable.
        if !request.body.isEmpty, !authorization.signedHeaders.contains("content-type") {
            throw ECSError.incompleteSignature("The header content-type must be signed when the request has a body.")
        }
        func header(_ name: String) throws(ECSError) -> String {
            guard let found = request.header(name).first, !found.isEmpty else { throw .missingParameter(name) }
            return found
        }
        let nonce = try header("x-acs-signature-nonce")
        try Self.checkNonce(nonce, parameter: "x-acs-signature-nonce")
        let date = try header("x-acs-date")
        let hashedPayload = try header("x-acs-content-sha256")

        let canonicalRequest = SignatureV3.canonicalRequest(
            method: request.method, query: request.query, signedHeaders: authorization.signedHeaders,
            headerValue: request.header, hashedPayload: hashedPayload)
        let stringToSign = SignatureV3.stringToSign(canonicalRequest: canonicalRequest)
        return try await withEnabledKey(authorization.accessKeyId) { key in
            let signedAt = try checkTimestamp(date)
            guard SignatureV3.isValid(authorization.signature, stringToSign: stringToSign, secret: key.secret),
                ConstantTime.equal(SignatureV3.hashedPayload(request.body), hashedPayload.lowercased())
            else {
                throw ECSError.signatureDoesNotMatch(serverStringToSign: stringToSign)
            }
            try await claim(nonce, for: key, signedAt: signedAt)
            return Caller(accountId: key.accountId, accessKeyId: key.id)
        }
    }

    /// Runs the checks that follow the key lookup with the key's cached copy, or with the store's row.
    ///
    /// When the checks fail with a cached key, they run once more on the store's current row: the key may
    /// have been disabled since it was cached, and ECS reports a disabled key before a bad timestamp or
    /// signature. Only refused requests pay for that second look. Two refusals skip it: a failing store (5xx),
    /// and a replayed nonce, since its claim already found the key enabled in the same transaction.
    private func withEnabledKey(_ id: String, _ checks: (AccessKey) async throws -> Caller) async throws -> Caller {
        if let cached = keys.key(id) {
            do {
                return try await checks(cached)
            } catch let error as ECSError where error.httpStatus < 500 && error.code != ECSError.signatureNonceUsed.code {}
        }
        guard let key = try await store.accessKey(id: id) else {
            keys.forget(id)
            throw ECSError.accessKeyNotFound
        }
        guard key.isEnabled else {
            keys.forget(id)
            throw ECSError.accessKeyDisabled
        }
        keys.remember(key)
        return try await checks(key)
    }

    /// The signed time, when it is within the allowed skew of now.
    private func checkTimestamp(_ text: String) throws(ECSError) -> Date {
        guard let timestamp = ECSTimestamp.parse(text) else { throw .illegalTimestamp }
        guard abs(timestamp.timeIntervalSince(now())) <= Self.allowedSkew else { throw .timestampExpired }
        return timestamp
    }

    /// A nonce is remembered for as long as its request's timestamp is accepted (signed time + skew): after
    /// that a replay is refused as expired anyway. That is at most twice the skew, and on average one skew
    /// for clients whose clocks are right.
    private func claim(_ nonce: String, for key: AccessKey, signedAt: Date) async throws {
        switch try await store.claimNonce(
            nonce, accessKeyId: key.id, now: now(), expiresAt: signedAt.addingTimeInterval(Self.allowedSkew))
        {
        case .claimed: return
        case .alreadyUsed: throw ECSError.signatureNonceUsed
        case .keyUnusable:
            keys.forget(key.id)
            throw ECSError.accessKeyDisabled
        }
    }
}
