import ArgumentParser
import ECSSignature
import ECSWire
import Foundation
import ImageShareCore
import ImageShareStore

/// `imageshare-bench sign`: pre-signs requests (a fresh nonce each) so the load generator only replays bytes.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Write N pre-signed requests for one scenario, one per line: METHOD<TAB>PATH<TAB>header: value<TAB>…")

    /// The measured calls.
    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        /// DescribeRegions: authentication and a nonce claim, but no store read; the floor of a signed call.
        case regions
        case sharePermission = "share-permission"
        case others
        case modify
        case runInstances = "run-instances"
    }

    /// The signature scheme of the requests.
    enum Style: String, ExpressibleByArgument, CaseIterable {
        case v2, v3
    }

    @Option(help: "bench-fixture.json written by `seed`.") var fixture: String
    @Option(help: "regions | share-permission | others | modify | run-instances.") var scenario: Scenario
    @Option(help: "v2 (HMAC-SHA1) or v3 (ACS3-HMAC-SHA256).") var style: Style = .v3
    @Option(help: "How many requests.") var count = 100_000
    @Option(help: "host:port the requests go to (V3 signs it).") var host: String
    @Option(help: "Output file.") var out: String

    func run() throws {
        let fixture = try JSONDecoder().decode(
            SQLStore.BenchmarkFixture.self, from: Data(contentsOf: URL(fileURLWithPath: fixture)))
        let timestamp = ECSTimestamp.format(Date())
        var output = ""
        output.reserveCapacity(count * 600)
        for index in 0..<count {
            let (action, parameters, credentials) = call(index, fixture)
            let nonce = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            output += style == .v2
                ? v2(action, parameters, credentials, timestamp: timestamp, nonce: nonce)
                : v3(action, parameters, credentials, timestamp: timestamp, nonce: nonce)
            output += "\n"
        }
        try output.write(toFile: out, atomically: true, encoding: .utf8)
    }

    private func call(_ index: Int, _ fixture: SQLStore.BenchmarkFixture) -> (String, [(String, String)], IssuedCredentialsView) {
        let region = ("RegionId", fixture.regionId)
        switch scenario {
        case .regions:
            return ("DescribeRegions", [], .init(fixture.owner))
        case .sharePermission:
            return ("DescribeImageSharePermission", [region, ("ImageId", fixture.sharedImageId), ("PageSize", "50")], .init(fixture.owner))
        case .others:
            return ("DescribeImages", [region, ("ImageOwnerAlias", "others"), ("PageSize", "100")], .init(fixture.recipient))
        case .modify:
            // Add-then-remove pairs: every request is one acknowledged change (or a no-op if reordered).
            let field = index.isMultiple(of: 2) ? "AddAccount.1" : "RemoveAccount.1"
            return ("ModifyImageSharePermission", [region, ("ImageId", fixture.modifyImageId), (field, fixture.shareTargetId)], .init(fixture.owner))
        case .runInstances:
            return ("RunInstances", [region, ("ImageId", fixture.launchImageId), ("InstanceType", "ecs.g7.large")], .init(fixture.recipient))
        }
    }

    private func v2(_ action: String, _ parameters: [(String, String)], _ key: IssuedCredentialsView, timestamp: String, nonce: String) -> String {
        var all = parameters + [
            ("Action", action), ("Version", "2014-05-26"), ("Format", "JSON"), ("AccessKeyId", key.id),
            ("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0"), ("SignatureNonce", nonce),
            ("Timestamp", timestamp),
        ]
        let stringToSign = SignatureV2.stringToSign(method: "POST", parameters: all.map { QueryParameter($0.0, $0.1) })
        all.append(("Signature", SignatureV2.signature(stringToSign: stringToSign, secret: key.secret)))
        return "POST\t/?" + Self.query(all)
    }

    private func v3(_ action: String, _ parameters: [(String, String)], _ key: IssuedCredentialsView, timestamp: String, nonce: String) -> String {
        let headers: [(String, String)] = [
            ("host", host), ("x-acs-action", action), ("x-acs-content-sha256", SignatureV3.hashedPayload([UInt8]())),
            ("x-acs-date", timestamp), ("x-acs-signature-nonce", nonce), ("x-acs-version", "2014-05-26"),
        ]
        let lookup = Dictionary(uniqueKeysWithValues: headers)
        let canonical = SignatureV3.canonicalRequest(
            method: "POST", query: parameters.map { QueryParameter($0.0, $0.1) }, signedHeaders: headers.map(\.0),
            headerValue: { lookup[$0].map { [$0] } ?? [] }, hashedPayload: lookup["x-acs-content-sha256"]!)
        let signature = SignatureV3.signature(stringToSign: SignatureV3.stringToSign(canonicalRequest: canonical), secret: key.secret)
        let authorization = "ACS3-HMAC-SHA256 Credential=\(key.id),SignedHeaders=\(headers.map(\.0).joined(separator: ";")),Signature=\(signature)"
        // wrk sends its own Host header (the same host:port).
        let sent = headers.filter { $0.0 != "host" } + [("Authorization", authorization)]
        return "POST\t/?" + Self.query(parameters) + "\t" + sent.map { "\($0.0): \($0.1)" }.joined(separator: "\t")
    }

    private static func query(_ parameters: [(String, String)]) -> String {
        parameters.map { PercentEncoding.encode($0.0) + "=" + PercentEncoding.encode($0.1) }.joined(separator: "&")
    }
}

/// The key a pre-signed request is signed with.
struct IssuedCredentialsView {
    let id: String
    let secret: String

    init(_ credentials: IssuedCredentials) {
        id = credentials.accessKeyId
        secret = credentials.accessKeySecret
    }
}
