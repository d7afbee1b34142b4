import Foundation
import HTTPTypes
import ImageShareCore
import ImageShareServer
import ImageShareTestSupport
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

    // MARK: Snapshots, regions, failed builds, seeds

    /// An Available image of the server's account, made from a new instance.
    static func makeImage(on server: TestServer, signer: TestSigner? = nil) async throws -> TestReply {
        let signer = signer ?? server.signer
        let run = try await server.send(
            signer.v3(action: "RunInstances", [region, ("ImageId", "ubuntu_22_04_x64_20G_alibase_20241016.vhd"), ("InstanceType", "ecs.g7.large")]))
        let instance = try #require(((run.json["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first, "\(run.body)")
        return try await server.send(signer.v3(action: "CreateImage", [region, ("InstanceId", instance)]))
    }

    /// A reply's body without its RequestId, which differs on every call.
    static func withoutRequestId(_ reply: TestReply) -> String {
        reply.body.replacingOccurrences(of: #""RequestId":"[^"]*""#, with: "", options: .regularExpression)
    }

    @Test("a restored snapshot answers exactly as the state did when it was saved")
    func snapshots() async throws {
        let server = try await Self.server()
        let friend = try await server.store.createAccount(name: "friend", now: TestServer.now).1
        let image = try #require(try await Self.makeImage(on: server).json["ImageId"] as? String)
        let share = try await server.send(
            server.signer.v3(action: "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("AddAccount.1", friend.accountId)]))
        #expect(share.status == 200, "\(share.body)")
        func answers() async throws -> [String] {
            [
                Self.withoutRequestId(try await server.send(server.signer.v3(action: "DescribeImages", [Self.region, ("ImageOwnerAlias", "self")]))),
                Self.withoutRequestId(try await server.send(server.signer.v3(action: "DescribeImageSharePermission", [Self.region, ("ImageId", image)]))),
                Self.withoutRequestId(try await server.send(server.signer.v3(action: "DescribeInstances", [Self.region]))),
            ]
        }
        let before = try await answers()
        let saved = try await server.send(Self.control(.post, "snapshots/base"))
        #expect(saved.status == 200, "\(saved.body)")
        #expect(saved.json["Name"] as? String == "base")

        _ = try await server.send(
            server.signer.v3(action: "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("RemoveAccount.1", friend.accountId)]))
        #expect(try await server.send(server.signer.v3(action: "DeleteImage", [Self.region, ("ImageId", image), ("Force", "true")])).status == 200)
        _ = try await Self.makeImage(on: server)
        #expect(try await answers() != before)

        let restored = try await server.send(Self.control(.post, "snapshots/base/restore"))
        #expect(restored.status == 200, "\(restored.body)")
        #expect(try await answers() == before)
        // The friend's key, made before the snapshot, signs again and sees the share.
        let friendSigner = TestSigner(keyId: friend.accessKeyId, secret: friend.accessKeySecret)
        let shared = try await server.send(friendSigner.v3(action: "DescribeImages", [Self.region, ("ImageOwnerAlias", "others")]))
        #expect(shared.json["TotalCount"] as? Int == 1, "\(shared.body)")

        // A reset keeps saved snapshots; restoring one brings back the accounts it held.
        #expect(try await server.send(Self.control(.post, "reset", #"{"Empty": true}"#)).status == 200)
        #expect(try await server.send(Self.control(.post, "snapshots/base/restore")).status == 200)
        #expect(try await answers() == before)

        let listed = try await server.send(Self.control(.get, "snapshots"))
        #expect((listed.json["Snapshots"] as? [[String: Any]])?.map { $0["Name"] as? String } == ["base"], "\(listed.body)")
        let missing = try await server.send(Self.control(.post, "snapshots/nothing/restore"))
        #expect(missing.status == 404 && missing.code == "SnapshotNotFound")
        #expect(try await server.send(Self.control(.post, "snapshots/bad%20name")).status == 400)
        #expect(try await server.send(Self.control(.delete, "snapshots/base")).status == 200)
        #expect(try await server.send(Self.control(.post, "snapshots/base/restore")).status == 404)
        #expect(try await server.send(Self.control(.post, "snapshots/base", token: nil)).status == 401)
    }

    @Test("the region list can be narrowed while the server runs, and a reset offers every start region again")
    func regions() async throws {
        let server = try await Self.server()
        func offered() async throws -> [String] {
            let reply = try await server.send(server.signer.v3(action: "DescribeRegions"))
            return ((reply.json["Regions"] as? [String: Any])?["Region"] as? [[String: Any]])?.compactMap { $0["RegionId"] as? String } ?? []
        }
        let all = try await offered()
        #expect(all.count == RegionCatalogue.builtInRegions.count)
        let narrowed = try await server.send(Self.control(.post, "regions", #"{"RegionIds":["cn-beijing","cn-hangzhou"]}"#))
        #expect(narrowed.status == 200, "\(narrowed.body)")
        #expect(try await offered() == ["cn-beijing", "cn-hangzhou"])
        let elsewhere = try await server.send(server.signer.v3(action: "DescribeZones", [("RegionId", "cn-shanghai")]))
        #expect(elsewhere.status == 404 && elsewhere.code == "InvalidRegionId.NotFound", "\(elsewhere.body)")
        #expect(try await server.send(server.signer.v3(action: "DescribeZones", [("RegionId", "cn-beijing")])).status == 200)
        for bad in [#"{"RegionIds":[]}"#, #"{"RegionIds":["mars-1"]}"#, #"{"RegionIds":"cn-beijing"}"#] {
            #expect(try await server.send(Self.control(.post, "regions", bad)).status == 400, "\(bad)")
        }
        #expect(try await offered() == ["cn-beijing", "cn-hangzhou"])
        #expect(try await server.send(Self.control(.post, "reset")).status == 200)
        let ci = TestSigner(keyId: Self.fixture.accessKeyId, secret: Self.fixture.accessKeySecret)
        let reply = try await server.send(ci.v3(action: "DescribeRegions"))
        #expect((reply.json["Regions"] as? [String: Any]).flatMap { ($0["Region"] as? [Any])?.count } == all.count)
    }

    @Test("an injected build failure leaves the next CreateImage in CreateFailed, skips dry runs, and then stops")
    func createFailed() async throws {
        let server = try await Self.server()
        let added = try await server.send(Self.control(.post, "faults", #"{"Action":"CreateImage","Count":1,"CreateFailed":true}"#))
        #expect(added.status == 200, "\(added.body)")
        let run = try await server.send(
            server.signer.v3(action: "RunInstances", [Self.region, ("ImageId", "ubuntu_22_04_x64_20G_alibase_20241016.vhd"), ("InstanceType", "ecs.g7.large")]))
        let instance = try #require(((run.json["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first)
        let dryRun = try await server.send(server.signer.v3(action: "CreateImage", [Self.region, ("InstanceId", instance), ("DryRun", "true")]))
        #expect(dryRun.code == "DryRunOperation")
        let failed = try #require(try await server.send(server.signer.v3(action: "CreateImage", [Self.region, ("InstanceId", instance)])).json["ImageId"] as? String)
        let fine = try #require(try await server.send(server.signer.v3(action: "CreateImage", [Self.region, ("InstanceId", instance)])).json["ImageId"] as? String)
        func status(_ image: String) async throws -> String? {
            let reply = try await server.send(server.signer.v3(action: "DescribeImages", [Self.region, ("ImageId", image), ("Status", "Creating,Available,CreateFailed")]))
            return ((reply.json["Images"] as? [String: Any])?["Image"] as? [[String: Any]])?.first?["Status"] as? String
        }
        #expect(try await status(failed) == "CreateFailed")
        #expect(try await status(fine) == "Available")
        let friend = try await server.store.createAccount(name: "friend", now: TestServer.now).0
        let share = try await server.send(
            server.signer.v3(action: "ModifyImageSharePermission", [Self.region, ("ImageId", failed), ("AddAccount.1", friend.id)]))
        #expect(share.code == "IncorrectImageStatus", "\(share.body)")
        let launch = try await server.send(
            server.signer.v3(action: "RunInstances", [Self.region, ("ImageId", failed), ("InstanceType", "ecs.g7.large")]))
        #expect(launch.status >= 400, "\(launch.body)")
        #expect(try await server.send(server.signer.v3(action: "DeleteImage", [Self.region, ("ImageId", failed)])).status == 200)
        let wrongAction = try await server.send(Self.control(.post, "faults", #"{"Action":"DescribeImages","CreateFailed":true}"#))
        #expect(wrongAction.status == 400)
    }

    @Test("a seeded store gives the same RequestIds and resource IDs for the same calls; unseeded ones differ")
    func seeded() async throws {
        func calls(seed: UInt64?) async throws -> [String] {
            let store = try await StoreEngine.http.makeStore(identifiers: IdentifierGenerator(seed: seed))
            let server = try await TestServer(sharing: store)
            let regions = try await server.send(server.signer.v3(action: "DescribeRegions"))
            let image = try await Self.makeImage(on: server)
            let group = try await server.send(server.signer.v3(action: "CreateSecurityGroup", [Self.region]))
            return [
                server.credentials.accountId, server.credentials.accessKeyId, regions.json["RequestId"] as? String ?? "",
                image.json["ImageId"] as? String ?? "", image.json["RequestId"] as? String ?? "",
                group.json["SecurityGroupId"] as? String ?? "",
            ]
        }
        let first = try await calls(seed: 11)
        #expect(!first.contains(""))
        #expect(try await calls(seed: 11) == first)
        #expect(try await calls(seed: 12) != first)
        #expect(try await calls(seed: nil) != calls(seed: nil))
    }

    @Test("the state exported through the endpoint imports back to the same answers; a bad file changes nothing")
    func stateFiles() async throws {
        let server = try await Self.server()
        let image = try #require(try await Self.makeImage(on: server).json["ImageId"] as? String)
        func describe() -> TestRequest { server.signer.v3(action: "DescribeImages", [Self.region, ("ImageId", image)]) }
        let before = Self.withoutRequestId(try await server.send(describe()))
        #expect(try await server.send(Self.control(.get, "state", token: nil)).status == 401)
        let exported = try await server.send(Self.control(.get, "state"))
        #expect(exported.status == 200 && exported.body.contains(#""format" : "imageshare-state\/1""#), "\(exported.body.prefix(200))")

        #expect(try await server.send(Self.control(.post, "reset", #"{"Empty": true}"#)).status == 200)
        let imported = try await server.send(Self.control(.post, "state", exported.body))
        #expect(imported.status == 200, "\(imported.body)")
        #expect(Self.withoutRequestId(try await server.send(describe())) == before)

        let bad = try await server.send(Self.control(.post, "state", #"{"format": "imageshare-state/1", "accounts": [{"id": "12"}]}"#))
        #expect(bad.status == 400 && bad.code == "InvalidStateFile", "\(bad.body)")
        #expect(Self.withoutRequestId(try await server.send(describe())) == before)
    }

    @Test("after a reset a key ID may come back with another secret: the old secret no longer signs")
    func replacedSecrets() async throws {
        let server = try await Self.server()
        let old = TestSigner(keyId: Self.fixture.accessKeyId, secret: Self.fixture.accessKeySecret)
        _ = try await server.send(Self.control(.post, "reset"))
        #expect(try await server.send(old.v3(action: "DescribeRegions")).status == 200)  // cached now
        _ = try await server.send(Self.control(.post, "reset", #"{"Empty": true}"#))
        let created = try await server.send(Self.control(
            .post, "accounts",
            #"{"Name":"ci","AccountId":"1111222233334444","AccessKeyId":"\#(Self.fixture.accessKeyId)","AccessKeySecret":"another-secret-0002"}"#))
        #expect(created.status == 200, "\(created.body)")
        #expect(try await server.send(old.v3(action: "DescribeRegions")).code == "SignatureDoesNotMatch")
        let new = TestSigner(keyId: Self.fixture.accessKeyId, secret: "another-secret-0002")
        #expect(try await server.send(new.v3(action: "DescribeRegions")).status == 200)
    }
}
