import Crypto
import Foundation

/// ECS signature V3 (`ACS3-HMAC-SHA256`), the default scheme of the new SDKs.
///
/// Stages follow Alibaba's V3 signature guide: canonical request → string to sign → signature.
public enum SignatureV3 {
    public static let algorithm = "ACS3-HMAC-SHA256"

    /// The parsed `Authorization` header: `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`.
    public struct Authorization: Sendable, Equatable {
        public let algorithm: String
        public let accessKeyId: String
        /// Lower-case header names in the order the client listed them.
        public let signedHeaders: [String]
        public let signature: String

        /// Parses the header; nil when it is not of the `ALGORITHM k=v,k=v` form or lacks a field.
        public init?(header: String) {
            // Walks the UTF-8 bytes: this runs on every V3 request.
            let utf8 = header.utf8
            guard let space = utf8.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            algorithm = String(Substring(utf8[..<space]))
            var credential = "", signedHeaders = "", signature = ""
            for part in utf8[utf8.index(after: space)...].split(separator: UInt8(ascii: ",")) {
                guard let equals = part.firstIndex(of: UInt8(ascii: "=")) else { return nil }
                let value = Substring(part[part.index(after: equals)...]).trimmingBlanks
                switch Substring(part[..<equals]).trimmingBlanks {
                case "Credential": credential = value
                case "SignedHeaders": signedHeaders = value
                case "Signature": signature = value
                default: continue
                }
            }
            let headerNames = signedHeaders.split(separator: ";").map { $0.lowercased() }
            guard !credential.isEmpty, !headerNames.isEmpty, !signature.isEmpty else { return nil }
            accessKeyId = credential
            self.signedHeaders = headerNames
            self.signature = signature
        }
    }

    /// Lower-case hex SHA-256 of `body` (the `x-acs-content-sha256` value).
    public static func hashedPayload(_ body: some DataProtocol) -> String {
        SHA256.hash(data: body).hexString
    }

    /// `METHOD \n path \n canonical query \n canonical headers \n signed headers \n hashed payload`.
    ///
    /// `headerValue` returns every value of one header (already trimmed of nothing); missing headers give `[]`.
    public static func canonicalRequest(
        method: String, path: String = "/", query: [QueryParameter], signedHeaders: [String],
        headerValue: (String) -> [String], hashedPayload: String
    ) -> String {
        let names = signedHeaders.map { $0.lowercased() }
        var canonicalHeaders = ""
        for name in names {
            let value = headerValue(name).map { $0.trimmingBlanks }.joined(separator: ",")
            canonicalHeaders += name + ":" + value + "\n"
        }
        return [
            method.uppercased(), path, query.canonicalized(), canonicalHeaders, names.joined(separator: ";"),
            hashedPayload,
        ].joined(separator: "\n")
    }

    /// `ACS3-HMAC-SHA256 \n hex(SHA256(canonicalRequest))`.
    public static func stringToSign(canonicalRequest: String) -> String {
        algorithm + "\n" + SHA256.hash(data: Data(canonicalRequest.utf8)).hexString
    }

    /// Lower-case hex HMAC-SHA256 of the string to sign; the key is the bare secret (no `&`, unlike V2).
    public static func signature(stringToSign: String, secret: String) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        return HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexString
    }

    /// Whether `provided` is the signature of `stringToSign` under `secret` (constant-time comparison).
    public static func isValid(_ provided: String, stringToSign: String, secret: String) -> Bool {
        ConstantTime.equal(signature(stringToSign: stringToSign, secret: secret), provided.lowercased())
    }
}

extension StringProtocol where UTF8View: BidirectionalCollection {
    /// Without leading and trailing spaces and tabs. Foundation's `trimmingCharacters(in:)` bridges through
    /// NSString, which showed up in the request profile; this runs several times per request.
    var trimmingBlanks: String {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        // Blanks are ASCII, so the UTF-8 positions found are also character boundaries.
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in self {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
