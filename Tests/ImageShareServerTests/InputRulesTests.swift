import Foundation
import ImageShareCore
import Testing

/// Input limits and the errors that say how to fix a request, in-process on either engine.
@Suite("HTTP: input limits and helpful errors")
struct InputRulesTests {
    static let region = ("RegionId", "cn-hangzhou")
    static let x86Image = "aliyun_3_x64_20G_alibase_20241103.vhd"
    static let armImage = "aliyun_3_arm64_20G_alibase_20241103.vhd"

    private func call(_ server: TestServer, _ action: String, _ parameters: [(String, String)]) async throws -> TestReply {
        try await server.send(server.signer.v3(action: action, parameters))
    }

    private func instanceCount(_ server: TestServer) async throws -> Int? {
        try await call(server, "DescribeInstances", [Self.region]).json["TotalCount"] as? Int
    }

    @Test("a NUL byte or an over-long value is refused before authentication, on every engine")
    func refusedBeforeAuthentication() async throws {
        let server = try await TestServer()
        let nul = try await server.send(TestRequest(uri: "/?Action=DescribeRegions&Version=2014-05-26&AccessKeyId=a%00b", method: .post))
        #expect(nul.status == 400)
        #expect(nul.code == "InvalidParameter")
        #expect(nul.body.contains("AccessKeyId"))
        let long = String(repeating: "x", count: 4_097)
        let tooLong = try await server.send(TestRequest(uri: "/?Action=DescribeRegions&AccessKeyId=" + long, method: .post))
        #expect(tooLong.code == "InvalidParameter")
        // Asked for XML, refused in XML.
        let xml = try await server.send(TestRequest(uri: "/?Format=XML&Description=a%01b", method: .post))
        #expect(xml.body.hasPrefix("<?xml"))
        #expect(xml.body.contains("<Code>InvalidParameter</Code>"))
    }

    @Test("RunInstances refuses over-long names and tags and creates nothing")
    func launchLimits() async throws {
        let server = try await TestServer()
        let base = [Self.region, ("ImageId", Self.x86Image), ("InstanceType", "ecs.g7.large")]
        let cases: [([(String, String)], String)] = [
            ([("InstanceName", "a" + String(repeating: "b", count: 128))], "InvalidInstanceName.Malformed"),
            ([("HostName", "-host")], "InvalidHostName.Malformed"),
            ([("Description", String(repeating: "d", count: 257))], "InvalidDescription.Malformed"),
            ([("Tag.1.Key", "k"), ("Tag.1.Value", String(repeating: "v", count: 129))], "InvalidTagValue.Malformed"),
            ([("Tag.1.Key", String(repeating: "k", count: 129))], "InvalidTagKey.Malformed"),
            ([("SystemDisk.Category", "floppy")], "InvalidSystemDiskCategory.ValueNotSupported"),
            ([("DataDisk.1.Size", "40"), ("DataDisk.1.Category", "tape")], "InvalidDataDiskCategory.ValueNotSupported"),
            ([("InstanceChargeType", "Free")], "InvalidParameter"),
            ([("VSwitchId", String(repeating: "v", count: 65))], "InvalidParameter"),
        ]
        for (extra, code) in cases {
            let reply = try await call(server, "RunInstances", base + extra)
            #expect(reply.code == code, "\(extra.map(\.0)): \(reply.body)")
        }
        #expect(try await instanceCount(server) == 0)
        let filter = try await call(server, "DescribeInstances", [Self.region, ("InstanceName", String(repeating: "*a", count: 65))])
        #expect(filter.code == "InvalidParameter")
    }

    @Test("an account cannot launch past its instance quota; a launch that would cross it creates nothing")
    func instanceQuota() async throws {
        let server = try await TestServer(configure: { $0.instanceQuota = 3 })
        let base = [Self.region, ("ImageId", Self.x86Image), ("InstanceType", "ecs.g7.large")]
        #expect(try await call(server, "RunInstances", base + [("Amount", "2")]).status == 200)
        let refused = try await call(server, "RunInstances", base + [("Amount", "2")])
        #expect(refused.status == 403)
        #expect(refused.code == "QuotaExceed.ElasticQuota")
        #expect(try await instanceCount(server) == 2)
        #expect(try await call(server, "RunInstances", base).status == 200)
        #expect(try await instanceCount(server) == 3)
    }

    @Test("an arm64 image on an x86 instance type is refused as ECS does; on an arm64 type it launches")
    func architectureMismatch() async throws {
        let server = try await TestServer()
        let refused = try await call(server, "RunInstances", [Self.region, ("ImageId", Self.armImage), ("InstanceType", "ecs.g7.large")])
        #expect(refused.status == 400)
        #expect(refused.code == "InvalidParameter.NotMatch")
        #expect(try await instanceCount(server) == 0)
        let arm = try await call(server, "RunInstances", [Self.region, ("ImageId", Self.armImage), ("InstanceType", "ecs.g8y.large")])
        #expect(arm.status == 200, "\(arm.body)")
        let x86OnArm = try await call(server, "CreateInstance", [Self.region, ("ImageId", Self.x86Image), ("InstanceType", "ecs.g8y.large")])
        #expect(x86OnArm.code == "InvalidParameter.NotMatch")
    }

    @Test("errors name what exists: instance types, regions, the action and the version")
    func helpfulMessages() async throws {
        let server = try await TestServer()
        let type = try await call(server, "RunInstances", [Self.region, ("ImageId", Self.x86Image), ("InstanceType", "ecs.g6.large")])
        #expect(type.code == "InvalidInstanceType.ValueNotSupported")
        #expect(type.body.contains("ecs.g6.large") && type.body.contains("ecs.g7.large"))

        let region = try await call(server, "DescribeImages", [("RegionId", "cn-atlantis")])
        #expect(region.code == "InvalidRegionId.NotFound")
        #expect(region.body.contains("cn-atlantis") && region.body.contains("cn-hangzhou"))

        let action = try await call(server, "describeimages", [Self.region])
        #expect(action.status == 404)
        #expect(action.code == "InvalidAction.NotFound")
        #expect(action.body.contains("describeimages") && action.body.contains("case-sensitive"))

        let version = try await server.send(server.signer.v2(action: "DescribeRegions", version: "2016-03-14"))
        #expect(version.code == "InvalidAction.NotFound")
        #expect(version.body.contains("2014-05-26"))
        #expect(version.json["Recommend"] as? String == "docs/errors.md#invalidactionnotfound")
    }

    @Test("sharing a public image says only own custom images can be shared; an unknown account is named")
    func sharingMessages() async throws {
        let server = try await TestServer()
        let publicImage = try await call(
            server, "ModifyImageSharePermission", [Self.region, ("ImageId", Self.x86Image), ("AddAccount.1", "1234567890123456")])
        #expect(publicImage.code == "InvalidImageId.NotFound")
        #expect(publicImage.body.contains("only your own custom images"))

        let run = try await call(server, "RunInstances", [Self.region, ("ImageId", Self.x86Image), ("InstanceType", "ecs.g7.large")])
        let instance = try #require(((run.json["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first)
        let created = try await call(server, "CreateImage", [Self.region, ("InstanceId", instance)])
        let image = try #require(created.json["ImageId"] as? String)
        let stranger = try await call(
            server, "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("AddAccount.1", "1234567890123456")])
        #expect(stranger.code == "InvalidAccount.NotFound")
        #expect(stranger.body.contains("1234567890123456"))
    }
}
