import Crypto
import Foundation

/// ECS RPC signature version 1.0 (HMAC-SHA1), the scheme of the old SDK and of the new SDK's `v2` mode.
///
/// Each stage is named after the published algorithm ("Request signatures", steps 1–6) so it can be checked
/// against the spec and against published vectors one string at a time.
public enum SignatureV2 {
    /// Steps 1–4: every parameter except `Signature`, sorted and encoded (empty values kept).
    public static func canonicalQueryString(_ parameters: [QueryParameter]) -> String {
        parameters.filter { $0.name != "Signature" }.canonicalized()
    }

    /// Step 5: `METHOD&%2F&` + the encoded canonical query string.
    public static func stringToSign(method: String, parameters: [QueryParameter]) -> String {
        method.uppercased() + "&" + PercentEncoding.encode("/") + "&"
            + PercentEncoding.encode(canonicalQueryString(parameters))
    }

    /// Step 6: Base64(HMAC-SHA1(secret + "&", stringToSign)).
    public static func signature(stringToSign: String, secret: String) -> String {
        let key = SymmetricKey(data: Data((secret + "&").utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// Whether `provided` is the signature of `stringToSign` under `secret` (constant-time comparison).
    public static func isValid(_ provided: String, stringToSign: String, secret: String) -> Bool {
        ConstantTime.equal(signature(stringToSign: stringToSign, secret: secret), provided)
    }
}

/// Comparison whose running time does not depend on where two strings first differ.
public enum ConstantTime {
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
