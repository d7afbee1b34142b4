import Foundation
import HTTPTypes
import ImageShareCore
import ImageShareServer
import Testing

@Suite("HTTP: readiness, metrics and rate limits")
struct OperationsTests {
    @Test("/readyz answers ready on a migrated store")
    func ready() async throws {
        let server = try await TestServer()
        let reply = try await server.send(TestRequest(uri: "/readyz", method: .get))
        #expect(reply.status == 200)
        #expect(reply.body == "ready\n")
    }

    @Test("/metrics counts requests by action and code, and times them and the store")
    func metrics() async throws {
        let server = try await TestServer()
        for _ in 0..<3 { _ = try await server.send(server.signer.v3(action: "DescribeRegions")) }
        let missing = try await server.send(
            server.signer.v3(action: "DescribeImageSharePermission", [("RegionId", "cn-hangzhou"), ("ImageId", "m-nothere")]))
        #expect(missing.code == "InvalidImageId.NotFound")
        // An unknown action name never becomes a label: anyone could invent millions.
        _ = try await server.send(server.signer.v3(action: "NoSuchAction\(UUID().uuidString)"))

        let reply = try await server.send(TestRequest(uri: "/metrics", method: .get))
        #expect(reply.status == 200)
        #expect(reply.contentType.hasPrefix("text/plain"))
        let lines = Set(reply.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"imageshare_requests_total{action="DescribeRegions",code="OK"} 3"#), "\(reply.body)")
        #expect(lines.contains(#"imageshare_requests_total{action="DescribeImageSharePermission",code="InvalidImageId.NotFound"} 1"#))
        #expect(lines.contains(#"imageshare_requests_total{action="Unknown",code="InvalidAction.NotFound"} 1"#))
        #expect(lines.contains(#"imageshare_request_duration_seconds_count{action="DescribeRegions"} 3"#))
        #expect(lines.contains { $0.hasPrefix(#"imageshare_store_duration_seconds_count{kind="write"}"#) })
        #expect(!reply.body.contains("NoSuchAction"))
        #expect(!reply.body.contains(server.credentials.accessKeySecret))
    }

    @Test("an AccessKey's bucket empties into Throttling with x-acs-retry-after, and another key is unaffected")
    func perKeyLimit() async throws {
        // The clock is pinned, so nothing refills during the test.
        let server = try await TestServer { $0.rateLimits = RateLimits(perAccessKey: RateLimit(rate: 2, burst: 3)) }
        for _ in 0..<3 {
            let reply = try await server.send(server.signer.v3(action: "DescribeRegions"))
            #expect(reply.status == 200, "\(reply.body)")
        }
        let refused = try await server.send(server.signer.v3(action: "DescribeRegions"))
        #expect(refused.status == 400)
        #expect(refused.code == "Throttling")
        #expect((refused.json["Message"] as? String)?.hasPrefix("You have made too many requests") == true)
        #expect((refused.json["RequestId"] as? String)?.count == 36)
        // One token at two a second: half a second.
        #expect(refused.headers[HTTPField.Name("x-acs-retry-after")!] == "500")

        let other = try await server.store.createAccount(name: "other", now: TestServer.now).1
        let otherSigner = TestSigner(keyId: other.accessKeyId, secret: other.accessKeySecret)
        #expect(try await server.send(otherSigner.v3(action: "DescribeRegions")).status == 200)
    }

    @Test("an action's bucket answers Throttling and leaves the other actions alone; refused calls change nothing")
    func perActionLimit() async throws {
        let server = try await TestServer {
            $0.rateLimits = RateLimits(perAction: ["CreateSecurityGroup": RateLimit(rate: 1, burst: 1)!])
        }
        let create = server.signer.v3(action: "CreateSecurityGroup", [("RegionId", "cn-hangzhou"), ("SecurityGroupName", "first")])
        #expect(try await server.send(create).status == 200)
        let refused = try await server.send(
            server.signer.v3(action: "CreateSecurityGroup", [("RegionId", "cn-hangzhou"), ("SecurityGroupName", "second")]))
        #expect(refused.code == "Throttling")
        #expect(refused.headers[HTTPField.Name("x-acs-retry-after")!] == "1000")
        let groups = try await server.send(server.signer.v3(action: "DescribeSecurityGroups", [("RegionId", "cn-hangzhou")]))
        #expect(groups.status == 200)
        #expect((groups.json["TotalCount"] as? Int) == 1, "\(groups.body)")
    }
}
