import Foundation
import ImageShareCore
import Testing

@Suite("HTTP: the share → see → launch → unshare → lose flow")
struct SharingFlowTests {
    static let region = ("RegionId", "cn-hangzhou")
    static let ubuntu = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"

    /// The owner's server plus a second account that receives shares.
    struct Accounts {
        let server: TestServer
        let friend: TestSigner
        let friendId: String

        init() async throws {
            server = try await TestServer()
            let credentials = try await server.store.createAccount(name: "friend", now: TestServer.now).1
            friend = TestSigner(keyId: credentials.accessKeyId, secret: credentials.accessKeySecret)
            friendId = credentials.accountId
        }

        func call(_ signer: TestSigner? = nil, _ action: String, _ parameters: [(String, String)] = []) async throws -> TestReply {
            try await server.send((signer ?? server.signer).v3(action: action, parameters))
        }

        func ok(_ signer: TestSigner? = nil, _ action: String, _ parameters: [(String, String)] = []) async throws -> [String: Any] {
            let reply = try await call(signer, action, parameters)
            #expect(reply.status == 200, "\(action): \(reply.body)")
            return reply.json
        }

        func makeImage() async throws -> String {
            let run = try await ok(nil, "RunInstances", [region, ("ImageId", ubuntu), ("InstanceType", "ecs.g7.large")])
            let instance = try #require(((run["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first)
            let created = try await ok(nil, "CreateImage", [region, ("InstanceId", instance), ("ImageName", "golden")])
            return try #require(created["ImageId"] as? String)
        }
    }

    static func images(_ json: [String: Any]) -> [[String: Any]] {
        ((json["Images"] as? [String: Any])?["Image"] as? [[String: Any]]) ?? []
    }

    @Test("the seed flow end to end over V3")
    func flow() async throws {
        let accounts = try await Accounts()
        let image = try await accounts.makeImage()
        _ = try await accounts.ok(nil, "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("AddAccount.1", accounts.friendId)])

        let owned = Self.images(try await accounts.ok(nil, "DescribeImages", [Self.region, ("ImageOwnerAlias", "self")]))
        #expect(owned.first?["IsSelfShared"] as? String == "True")
        let seen = Self.images(try await accounts.ok(accounts.friend, "DescribeImages", [Self.region, ("ImageOwnerAlias", "others")]))
        #expect(seen.map { $0["ImageId"] as? String } == [image])
        #expect(seen.first?["ImageOwnerAlias"] as? String == "others")
        #expect(seen.first?["ImageOwnerId"] as? Int == Int(accounts.server.credentials.accountId))
        #expect(seen.first?["IsSelfShared"] as? String == "False")
        let elsewhere = try await accounts.ok(accounts.friend, "DescribeImages", [("RegionId", "cn-shanghai"), ("ImageOwnerAlias", "others")])
        #expect(elsewhere["TotalCount"] as? Int == 0)

        let run = try await accounts.ok(accounts.friend, "RunInstances", [Self.region, ("ImageId", image), ("InstanceType", "ecs.g7.large")])
        let instance = try #require(((run["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first)
        let disks = try await accounts.ok(accounts.friend, "DescribeDisks", [Self.region, ("InstanceId", instance), ("DiskType", "system")])
        let disk = try #require(((disks["Disks"] as? [String: Any])?["Disk"] as? [[String: Any]])?.first)
        #expect(disk["ImageId"] as? String == image)
        let diskId = try #require(disk["DiskId"] as? String)
        _ = try await accounts.ok(accounts.friend, "StopInstance", [("InstanceId", instance)])
        _ = try await accounts.ok(accounts.friend, "ReInitDisk", [("DiskId", diskId)])

        let refused = try await accounts.call(nil, "DeleteImage", [Self.region, ("ImageId", image), ("Force", "true")])
        #expect(refused.status == 403 && refused.code == "ImageUseShared")

        _ = try await accounts.ok(nil, "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("RemoveAccount.1", accounts.friendId)])
        let gone = try await accounts.ok(accounts.friend, "DescribeImages", [Self.region, ("ImageId", image)])
        #expect(gone["TotalCount"] as? Int == 0)
        #expect(Self.images(gone).isEmpty)
        let relaunch = try await accounts.call(accounts.friend, "RunInstances", [Self.region, ("ImageId", image), ("InstanceType", "ecs.g7.large")])
        #expect(relaunch.status == 404 && relaunch.code == "InvalidImageId.NotFound")
        let replace = try await accounts.call(accounts.friend, "ReplaceSystemDisk", [("InstanceId", instance), ("ImageId", image)])
        #expect(replace.status == 404 && replace.code == "InvalidImageId.NotFound")
        let reinit = try await accounts.call(accounts.friend, "ReInitDisk", [("DiskId", diskId)])
        #expect(reinit.status == 403 && reinit.code == "SharedImageDeleted")
        _ = try await accounts.ok(accounts.friend, "StartInstance", [("InstanceId", instance)])

        // The former recipient's instance does not hold the image back: the owner deletes it without Force.
        _ = try await accounts.ok(nil, "DeleteImage", [Self.region, ("ImageId", image)])
        let missing = try await accounts.call(nil, "DeleteImage", [Self.region, ("ImageId", image)])
        #expect(missing.status == 404 && missing.code == "InvalidImageId.NotFound")
    }

    @Test("sharing errors carry their documented codes and statuses")
    func sharingErrors() async throws {
        let accounts = try await Accounts()
        let image = try await accounts.makeImage()
        func modify(_ signer: TestSigner?, _ parameters: [(String, String)]) async throws -> TestReply {
            try await accounts.call(signer, "ModifyImageSharePermission", [Self.region, ("ImageId", image)] + parameters)
        }
        let unknown = try await modify(nil, [("AddAccount.1", "9999999999999999")])
        #expect(unknown.status == 404 && unknown.code == "InvalidAccount.NotFound")
        let selfShare = try await modify(nil, [("AddAccount.1", accounts.server.credentials.accountId)])
        #expect(selfShare.status == 404 && selfShare.code == "InvalidAccount.Forbbiden")
        let notOwner = try await modify(accounts.friend, [("AddAccount.1", accounts.server.credentials.accountId)])
        #expect(notOwner.status == 404 && notOwner.code == "InvalidImageId.NotFound")
        let publicImage = try await accounts.call(
            nil, "ModifyImageSharePermission", [Self.region, ("ImageId", Self.ubuntu), ("AddAccount.1", accounts.friendId)])
        #expect(publicImage.code == "InvalidImageId.NotFound")
        let dryRun = try await modify(nil, [("AddAccount.1", accounts.friendId), ("DryRun", "True")])
        #expect(dryRun.status == 400 && dryRun.code == "DryRunOperation")
        let permissions = try await accounts.ok(nil, "DescribeImageSharePermission", [Self.region, ("ImageId", image)])
        #expect(permissions["TotalCount"] as? Int == 0)
        #expect(((permissions["Accounts"] as? [String: Any])?["Account"] as? [Any])?.isEmpty == true)
        #expect(((permissions["ShareGroups"] as? [String: Any])?["ShareGroup"] as? [Any])?.isEmpty == true)
        let missing = try await accounts.call(nil, "DescribeImageSharePermission", [Self.region])
        #expect(missing.status == 400 && missing.code == "MissingParameter")
    }

    @Test("IsPublic publishes a community image to every account of the region")
    func community() async throws {
        let accounts = try await Accounts()
        let image = try await accounts.makeImage()
        _ = try await accounts.ok(nil, "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("IsPublic", "True")])
        let permissions = try await accounts.ok(nil, "DescribeImageSharePermission", [Self.region, ("ImageId", image)])
        let groups = (permissions["ShareGroups"] as? [String: Any])?["ShareGroup"] as? [[String: Any]]
        #expect(groups?.first?["Group"] as? String == "all")
        let community = try await accounts.ok(
            accounts.friend, "DescribeImages", [Self.region, ("ImageOwnerAlias", "others"), ("IsPublic", "true")])
        #expect(Self.images(community).map { $0["ImageId"] as? String } == [image])
        #expect(Self.images(community).first?["IsPublic"] as? Bool == true)
        let plainOthers = try await accounts.ok(accounts.friend, "DescribeImages", [Self.region, ("ImageOwnerAlias", "others")])
        #expect(plainOthers["TotalCount"] as? Int == 0)
        _ = try await accounts.ok(accounts.friend, "RunInstances", [Self.region, ("ImageId", image), ("InstanceType", "ecs.c7.xlarge")])
        let delete = try await accounts.call(nil, "DeleteImage", [Self.region, ("ImageId", image), ("Force", "true")])
        #expect(delete.code == "ImageUseShared")
    }

    @Test("a custom image page comes before public images and paging spans both")
    func pagingAcrossSources() async throws {
        let accounts = try await Accounts()
        let image = try await accounts.makeImage()
        let first = try await accounts.ok(nil, "DescribeImages", [Self.region, ("PageSize", "5")])
        #expect(first["TotalCount"] as? Int == 13)
        #expect(Self.images(first).first?["ImageId"] as? String == image)
        let third = try await accounts.ok(nil, "DescribeImages", [Self.region, ("PageSize", "5"), ("PageNumber", "3")])
        #expect(Self.images(third).count == 3)
    }

    @Test("launch validation: instance type, system disk size, missing image")
    func launchValidation() async throws {
        let accounts = try await Accounts()
        let badType = try await accounts.call(nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.nope")])
        #expect(badType.status == 400 && badType.code == "InvalidInstanceType.ValueNotSupported")
        let small = try await accounts.call(
            nil, "RunInstances",
            [Self.region, ("ImageId", "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20241016.vhd"), ("InstanceType", "ecs.g7.large"), ("SystemDisk.Size", "20")])
        #expect(small.status == 404 && small.code == "InvalidSystemDiskSize.LessThanImageSize")
        let noImage = try await accounts.call(nil, "RunInstances", [Self.region, ("InstanceType", "ecs.g7.large")])
        #expect(noImage.code == "MissingParameter")
        let tooMany = try await accounts.call(
            nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("Amount", "101")])
        #expect(tooMany.code == "InvalidParameter")
        let dry = try await accounts.call(
            nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("DryRun", "true")])
        #expect(dry.code == "DryRunOperation")
        let listed = try await accounts.ok(nil, "DescribeInstances", [Self.region])
        #expect(listed["TotalCount"] as? Int == 0)
        let created = try await accounts.ok(nil, "CreateInstance", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.t6-c1m1.large")])
        let id = try #require(created["InstanceId"] as? String)
        let described = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("InstanceIds", "[\"\(id)\"]")])
        let instance = try #require(((described["Instances"] as? [String: Any])?["Instance"] as? [[String: Any]])?.first)
        #expect(instance["Status"] as? String == "Stopped")
        #expect(instance["ImageId"] as? String == Self.ubuntu)
    }
}
