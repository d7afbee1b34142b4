import Benchmark
import ECSSignature
import ECSWire

// The pure per-request work in front of every action: decoding the parameters and verifying the signature
// (V3 and V2) of one DescribeImageSharePermission call, as `bench/run`'s share-permission scenario sends it.
// Allocations per call are what the malloc metrics report: each benchmark iteration is one request.

private let secret = "bench-secret-0123456789abcdef"
private let accessKeyId = "LTAIbenchkey000000000000"
private let emptyPayloadHash = SignatureV3.hashedPayload([UInt8]())

/// The V3 request: the query, its headers, and the Authorization header a client computed.
private struct SignedV3Request {
    let query = "RegionId=cn-hangzhou&ImageId=m-benchshared0000000&PageSize=50"
    let headers: [(String, String)] = [
        ("host", "127.0.0.1:8080"), ("x-acs-action", "DescribeImageSharePermission"),
        ("x-acs-content-sha256", emptyPayloadHash), ("x-acs-date", "2026-11-29T12:00:00Z"),
        ("x-acs-signature-nonce", "3f1c2a9be0d84c51a7e6b2f4c8d90e17"), ("x-acs-version", "2014-05-26"),
    ]
    let authorization: String

    init() {
        let query = FormDecoding.pairs(Substring(query)).map { QueryParameter($0.name, $0.value) }
        let lookup = Dictionary(uniqueKeysWithValues: headers)
        let canonical = SignatureV3.canonicalRequest(
            method: "POST", query: query, signedHeaders: headers.map { $0.0 },
            headerValue: { lookup[$0].map { [$0] } ?? [] }, hashedPayload: emptyPayloadHash)
        let signature = SignatureV3.signature(stringToSign: SignatureV3.stringToSign(canonicalRequest: canonical), secret: secret)
        authorization = "ACS3-HMAC-SHA256 Credential=\(accessKeyId),SignedHeaders=\(headers.map { $0.0 }.joined(separator: ";")),Signature=\(signature)"
    }

    /// What the server does with it: parse the Authorization header, rebuild the canonical request, compare.
    func verify() -> Bool {
        guard let parsed = SignatureV3.Authorization(header: authorization) else { return false }
        let query = FormDecoding.pairs(Substring(self.query)).map { QueryParameter($0.name, $0.value) }
        let canonical = SignatureV3.canonicalRequest(
            method: "POST", query: query, signedHeaders: parsed.signedHeaders,
            headerValue: { name in headers.first { $0.0 == name }.map { [$0.1] } ?? [] }, hashedPayload: emptyPayloadHash)
        let stringToSign = SignatureV3.stringToSign(canonicalRequest: canonical)
        return SignatureV3.isValid(parsed.signature, stringToSign: stringToSign, secret: secret)
            && SignatureV3.hashedPayload([UInt8]()) == emptyPayloadHash
    }
}

/// The V2 request: every parameter, the signature included, in the query string.
private let v2Query: String = {
    let parameters = [
        ("RegionId", "cn-hangzhou"), ("ImageId", "m-benchshared0000000"), ("PageSize", "50"),
        ("Action", "DescribeImageSharePermission"), ("Version", "2014-05-26"), ("Format", "JSON"),
        ("AccessKeyId", accessKeyId), ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"),
        ("SignatureNonce", "3f1c2a9be0d84c51a7e6b2f4c8d90e17"), ("Timestamp", "2026-11-29T12:00:00Z"),
    ].map { QueryParameter($0.0, $0.1) }
    let signature = SignatureV2.signature(
        stringToSign: SignatureV2.stringToSign(method: "POST", parameters: parameters), secret: secret)
    return (parameters + [QueryParameter("Signature", signature)])
        .map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }.joined(separator: "&")
}()

private func verifyV2() -> Bool {
    let parameters = FormDecoding.pairs(Substring(v2Query)).map { QueryParameter($0.name, $0.value) }
    guard let signature = parameters.first(where: { $0.name == "Signature" })?.value else { return false }
    let stringToSign = SignatureV2.stringToSign(method: "POST", parameters: parameters)
    return SignatureV2.isValid(signature, stringToSign: stringToSign, secret: secret)
}

/// The parameter decoding every action starts with: pairs, the bag, and the lookups of this call.
private func decodeParameters() throws -> Int {
    let bag = ParameterBag(FormDecoding.pairs(Substring(v2Query)))
    _ = try ResponseFormat(parameter: bag["Format"])
    guard bag.string("Action") != nil, bag.string("Version") != nil, bag.string("RegionId") != nil,
        bag.string("ImageId") != nil
    else { return 0 }
    return try bag.int("PageSize", in: 1...100) ?? 0
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .memoryLeaked],
        scalingFactor: .kilo, maxDuration: .seconds(3))

    let v3 = SignedV3Request()
    precondition(v3.verify() && verifyV2(), "the benchmark requests must verify")

    Benchmark("V3 signature verification") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(v3.verify()) }
    }
    Benchmark("V2 signature verification") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(verifyV2()) }
    }
    Benchmark("parameter decoding") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try decodeParameters()) }
    }
}
