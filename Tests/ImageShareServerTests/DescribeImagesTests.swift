import Foundation
import Testing

@Suite("HTTP: DescribeRegions and DescribeImages")
struct DescribeImagesTests {
    func images(_ reply: TestReply) -> [[String: Any]] {
        ((reply.json["Images"] as? [String: Any])?["Image"] as? [[String: Any]]) ?? []
    }

    @Test("DescribeRegions lists every built-in region with endpoint and status")
    func regions() async throws {
        let server = try await TestServer()
        let reply = try await server.send(server.signer.v3(action: "DescribeRegions"))
        let regions = try #require((reply.json["Regions"] as? [String: Any])?["Region"] as? [[String: Any]])
        #expect(regions.count == 12)
        let hangzhou = try #require(regions.first { $0["RegionId"] as? String == "cn-hangzhou" })
        #expect(hangzhou["RegionEndpoint"] as? String == "ecs.cn-hangzhou.aliyuncs.com")
        #expect(hangzhou["Status"] as? String == "available")
        #expect(hangzhou["LocalName"] as? String == "华东1（杭州）")
    }

    @Test("system images page through the catalogue with a stable order")
    func paging() async throws {
        let server = try await TestServer()
        var seen: [String] = []
        for page in 1...3 {
            let reply = try await server.send(server.signer.v3(
                action: "DescribeImages",
                [("RegionId", "cn-hangzhou"), ("ImageOwnerAlias", "system"), ("PageSize", "5"), ("PageNumber", "\(page)")]))
            #expect(reply.status == 200, "\(reply.body)")
            #expect(reply.json["TotalCount"] as? Int == 12)
            #expect(reply.json["PageNumber"] as? Int == page)
            #expect(reply.json["PageSize"] as? Int == 5)
            seen += images(reply).compactMap { $0["ImageId"] as? String }
        }
        #expect(seen.count == 12)
        #expect(Set(seen).count == 12)
        let all = try await server.send(server.signer.v2(action: "DescribeImages", [("RegionId", "cn-hangzhou"), ("PageSize", "100")]))
        #expect(images(all).compactMap { $0["ImageId"] as? String } == seen)
    }

    @Test("one matching image still comes back as a one-element array with every field typed as the SDK expects")
    func singleImageShape() async throws {
        let server = try await TestServer()
        let reply = try await server.send(server.signer.v2(
            action: "DescribeImages", [("RegionId", "cn-shanghai"), ("ImageId", "ubuntu_22_04_x64_20G_alibase_20241016.vhd")]))
        let list = images(reply)
        #expect(list.count == 1)
        let image = try #require(list.first)
        #expect(image["ImageOwnerAlias"] as? String == "system")
        #expect(image["Size"] as? Int == 20)
        #expect(image["IsSelfShared"] as? String != nil)
        #expect(image["IsPublic"] as? Bool != nil)
        #expect(image["Progress"] as? String == "100%")
        #expect(image["CreationTime"] as? String == "2024-10-16T00:00:00Z")
        let mapping = try #require(((image["DiskDeviceMappings"] as? [String: Any])?["DiskDeviceMapping"] as? [[String: Any]])?.first)
        #expect(mapping["Size"] as? String == "20")
        #expect((mapping["SnapshotId"] as? String)?.hasPrefix("s-") == true)
        #expect(((image["Tags"] as? [String: Any])?["Tag"] as? [Any])?.isEmpty == true)
    }

    @Test("filters: ImageId list, OSType, Architecture, ImageName, Status and owner alias")
    func filters() async throws {
        let server = try await TestServer()
        func count(_ parameters: [(String, String)]) async throws -> Int? {
            let reply = try await server.send(server.signer.v2(action: "DescribeImages", [("RegionId", "cn-hangzhou")] + parameters))
            return reply.json["TotalCount"] as? Int
        }
        #expect(try await count([("ImageId", "ubuntu_22_04_x64_20G_alibase_20241016.vhd,debian_12_7_x64_20G_alibase_20241015.vhd")]) == 2)
        #expect(try await count([("OSType", "windows")]) == 2)
        #expect(try await count([("Architecture", "arm64")]) == 2)
        #expect(try await count([("Architecture", "i386")]) == 1)
        #expect(try await count([("ImageName", "Ubuntu")]) == 3)
        #expect(try await count([("Status", "Creating,Waiting")]) == 0)
        #expect(try await count([("Status", "ALL")]) == 12)
        #expect(try await count([("ImageOwnerAlias", "self")]) == 0)
        #expect(try await count([("ImageOwnerAlias", "others")]) == 0)
        #expect(try await count([("ImageId", "m-doesnotexist000000")]) == 0)
    }

    @Test("bad DescribeImages input gets the documented code and status", arguments: [
        ([("ImageOwnerAlias", "friends")], "InvalidImageOwnerAlias.ValueNotSupported", 400),
        ([("OSType", "beos")], "InvalidOSType", 404),
        ([("Architecture", "sparc")], "InvalidArchitecture", 404),
        ([("PageSize", "101")], "InvalidParameter", 400),
        ([("PageNumber", "0")], "InvalidParameter", 400),
        ([("Status", "Sleeping")], "InvalidParameter", 400),
        ([("DryRun", "true")], "DryRunOperation", 400),
    ])
    func badInput(parameters: [(String, String)], code: String, status: Int) async throws {
        let server = try await TestServer()
        let reply = try await server.send(server.signer.v2(action: "DescribeImages", [("RegionId", "cn-hangzhou")] + parameters))
        #expect(reply.code == code)
        #expect(reply.status == status)
    }

    @Test("RegionId is required for DescribeImages and must exist")
    func region() async throws {
        let server = try await TestServer()
        let missing = try await server.send(server.signer.v3(action: "DescribeImages"))
        #expect(missing.status == 400)
        #expect(missing.code == "MissingParameter")
        #expect((missing.json["Message"] as? String)?.contains("\"RegionId\"") == true)
        let unknown = try await server.send(server.signer.v3(action: "DescribeImages", [("RegionId", "mars-1")]))
        #expect(unknown.status == 404)
        #expect(unknown.code == "InvalidRegionId.NotFound")
    }
}
