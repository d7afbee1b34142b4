import Foundation
import HTTPTypes
import ImageShareCore
import ImageShareServer
import Testing

@Suite("HTTP: the test control endpoint")
struct ControlTests {
    static let token = "control-token-for-tests"
    static let fixture = try! KnownAccount(
        name: "ci", accountId: "1111222233334444", accessKeyId: "LTAIfixture0001", accessKeySecret: "fixture-secret-0001")
    static let region = ("RegionId", "cn-hangzhou")

    static func control(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = token) -> TestRequest {
        var request = TestRequest(uri: "/_imageshare/" + path, method: method, body: body)
        if let token { request.headers[HTTPField.Name("x-imageshare-admin-token")!] = token }
        return request
    }

    static func server(buildSeconds: Double = 0) async throws -> TestServer {
        try await TestServer {
            $0.adminToken = token
            $0.fixtureAccounts = [fixture]
            $0.imageBuildSeconds = buildSeconds
        }
    }

    @Test("without --admin-token the endpoint does not exist; with one, a request without it changes nothing")
    func guarded() async throws {
        let plain = try await TestServer()
        #expect(try await plain.send(Self.control(.post, "reset")).status == 404)

        let server = try await Self.server()
        for token in [nil, "wrong-token-wrong-token"] {
            let refused = try await server.send(Self.control(.post, "reset", token: token))
            #expect(refused.status == 401)
            #expect(refused.code == "InvalidAdminToken")
        }
        #expect(try await server.send(server.signer.v3(action: "DescribeRegions")).status == 200)
    }

    @Test("reset empties the store and brings back the fixtures, whose known keys sign at once")
    func reset() async throws {
        let server = try await Self.server()
        _ = try await server.send(server.signer.v3(action: "CreateSecurityGroup", [Self.region]))
        let reply = try await server.send(Self.control(.post, "reset"))
        #expect(reply.status == 200, "\(reply.body)")
        // The account made before the reset is gone, and so is its key.
        let gone = try await server.send(server.signer.v3(action: "DescribeRegions"))
        #expect(gone.code == "InvalidAccessKeyId.NotFound", "\(gone.body)")
        let ci = TestSigner(keyId: Self.fixture.accessKeyId, secret: Self.fixture.accessKeySecret)
        let groups = try await server.send(ci.v3(action: "DescribeSecurityGroups", [Self.region]))
        #expect(groups.status == 200, "\(groups.body)")
        #expect(groups.json["TotalCount"] as? Int == 0)

        let empty = try await server.send(Self.control(.post, "reset", #"{"Empty": true}"#))
        #expect(empty.status == 200)
        #expect(try await server.send(ci.v3(action: "DescribeRegions")).code == "InvalidAccessKeyId.NotFound")
        let created = try await server.send(
            Self.control(.post, "accounts", #"{"Name":"again","AccountId":"1111222233334444","AccessKeyId":"LTAIfixture0001","AccessKeySecret":"fixture-secret-0001"}"#))
        #expect(created.status == 200, "\(created.body)")
        #expect(try await server.send(ci.v3(action: "DescribeRegions")).status == 200)
        let duplicate = try await server.send(Self.control(.post, "accounts", #"{"Name":"x","AccountId":"1111222233334444","AccessKeyId":"LTAIother0002","AccessKeySecret":"other-secret-0002"}"#))
        #expect(duplicate.status == 400)
        let malformed = try await server.send(Self.control(.post, "accounts", #"{"Name":"x","AccountId":"12a","AccessKeyId":"LTAIother0002","AccessKeySecret":"other-secret-0002"}"#))
        #expect(malformed.status == 400)
    }

    @Test("moving the clock forward finishes images that are being created")
    func clock() async throws {
        let server = try await Self.server(buildSeconds: 3_600)
        let run = try await server.send(
            server.signer.v3(action: "RunInstances", [Self.region, ("ImageId", "ubuntu_22_04_x64_20G_alibase_20241016.vhd"), ("InstanceType", "ecs.g7.large")]))
        let instance = try #require(((run.json["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first, "\(run.body)")
        let created = try await server.send(server.signer.v3(action: "CreateImage", [Self.region, ("InstanceId", instance)]))
        let image = try #require(created.json["ImageId"] as? String, "\(created.body)")
        func status() async throws -> String? {
            let reply = try await server.send(server.signer.v3(action: "DescribeImages", [Self.region, ("ImageId", image), ("Status", "Creating,Available")]))
            return ((reply.json["Images"] as? [String: Any])?["Image"] as? [[String: Any]])?.first?["Status"] as? String
        }
        #expect(try await status() == "Creating")
        let moved = try await server.send(Self.control(.post, "clock", #"{"AdvanceSeconds": 3600}"#))
        #expect(moved.status == 200, "\(moved.body)")
        #expect(moved.json["OffsetSeconds"] as? Double == 3_600)
        // Signatures still carry the real time, and are still accepted.
        #expect(try await status() == "Available")
        #expect(try await server.send(Self.control(.post, "clock", #"{"AdvanceSeconds": -5}"#)).status == 400)
    }

    @Test("faults hit only what they target, as often as asked, and then stop")
    func faults() async throws {
        let server = try await Self.server()
        let other = try await server.store.createAccount(name: "other", now: TestServer.now).1
        let otherSigner = TestSigner(keyId: other.accessKeyId, secret: other.accessKeySecret)
        let added = try await server.send(
            Self.control(.post, "faults", #"{"Action":"DescribeRegions","Count":2,"Code":"ServiceUnavailable","Status":503,"AccountId":"\#(server.credentials.accountId)"}"#))
        #expect(added.status == 200, "\(added.body)")
        #expect(try await server.send(otherSigner.v3(action: "DescribeRegions")).status == 200)
        #expect(try await server.send(server.signer.v3(action: "DescribeZones", [Self.region])).status == 200)
        for _ in 0..<2 {
            let failed = try await server.send(server.signer.v3(action: "DescribeRegions"))
            #expect(failed.status == 503)
            #expect(failed.code == "ServiceUnavailable")
        }
        #expect(try await server.send(server.signer.v3(action: "DescribeRegions")).status == 200)
        let listed = try await server.send(Self.control(.get, "faults"))
        #expect((listed.json["Faults"] as? [Any])?.isEmpty == true, "\(listed.body)")

        _ = try await server.send(Self.control(.post, "faults", #"{"Action":"DescribeZones","Throttle":"1/1"}"#))
        #expect(try await server.send(server.signer.v3(action: "DescribeZones", [Self.region])).status == 200)
        let throttled = try await server.send(server.signer.v3(action: "DescribeZones", [Self.region]))
        #expect(throttled.code == "Throttling")
        #expect(throttled.headers[HTTPField.Name("x-acs-retry-after")!] == "1000")
        #expect(try await server.send(Self.control(.delete, "faults")).status == 200)
        #expect(try await server.send(server.signer.v3(action: "DescribeZones", [Self.region])).status == 200)

        for bad in [#"{"Action":"DescribeZones"}"#, #"{"Action":"x y","Code":"A"}"#, #"{"Action":"A","Code":"A","Status":200}"#, "[1]"] {
            #expect(try await server.send(Self.control(.post, "faults", bad)).status == 400, "\(bad)")
        }
    }
}
