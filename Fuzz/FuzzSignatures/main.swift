// libFuzzer target: the V2 and V3 signature code on hostile input.
// Properties: nothing crashes; a parsed Authorization header parses again to the same value when written back;
// a signature verifies against what it signed and fails for any other signature.
import ECSSignature
import ECSWire

private let secret = "fuzz-secret"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignatures(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let text = String(decoding: bytes, as: UTF8.self)

    if let parsed = SignatureV3.Authorization(header: text) {
        let written = "\(parsed.algorithm) Credential=\(parsed.accessKeyId),SignedHeaders="
            + "\(parsed.signedHeaders.joined(separator: ";")),Signature=\(parsed.signature)"
        let again = SignatureV3.Authorization(header: written)
        precondition(again == parsed, "Authorization round trip: \(text.debugDescription) → \(written.debugDescription)")
    }

    // The input as a signed V2 request: its parameters, signed, must verify, and a changed signature must not.
    let parameters = FormDecoding.pairs(Substring(text)).map { QueryParameter($0.name, $0.value) }
    let v2 = SignatureV2.stringToSign(method: "POST", parameters: parameters)
    let v2Signature = SignatureV2.signature(stringToSign: v2, secret: secret)
    precondition(SignatureV2.isValid(v2Signature, stringToSign: v2, secret: secret))
    precondition(!SignatureV2.isValid(v2Signature + "A", stringToSign: v2, secret: secret))
    precondition(!SignatureV2.isValid(text, stringToSign: v2, secret: secret) || text == v2Signature)

    // The same parameters as a V3 request whose headers are the pairs too.
    let headers = Dictionary(parameters.map { ($0.name.lowercased(), [$0.value]) }, uniquingKeysWith: +)
    let canonical = SignatureV3.canonicalRequest(
        method: "POST", query: parameters, signedHeaders: headers.keys.sorted(), headerValue: { headers[$0] ?? [] },
        hashedPayload: SignatureV3.hashedPayload(Array(bytes)))
    let v3 = SignatureV3.stringToSign(canonicalRequest: canonical)
    let v3Signature = SignatureV3.signature(stringToSign: v3, secret: secret)
    precondition(SignatureV3.isValid(v3Signature, stringToSign: v3, secret: secret))
    precondition(!SignatureV3.isValid(String(v3Signature.reversed()), stringToSign: v3, secret: secret) || v3Signature == String(v3Signature.reversed()))
    return 0
}
