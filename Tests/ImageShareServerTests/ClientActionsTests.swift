import Foundation
import ImageShareCore
import Testing

/// The actions third-party clients (Libcloud, footmark, Ansible, aliyun-img-utils) call around images:
/// security groups, tags, instance attributes, disks, zones and instance types, and the Describe filters.
@Suite("HTTP: security groups, tags, instance attributes, disks and filters")
struct ClientActionsTests {
    typealias Accounts = SharingFlowTests.Accounts
    static let region = SharingFlowTests.region
    static let ubuntu = SharingFlowTests.ubuntu

    /// RunInstances of one instance; `extra` comes first, so it overrides the defaults (the first occurrence wins).
    static func launch(_ accounts: Accounts, _ signer: TestSigner? = nil, _ extra: [(String, String)] = []) async throws -> String {
        let run = try await accounts.ok(signer, "RunInstances", extra + [region, ("ImageId", ubuntu), ("InstanceType", "ecs.g7.large")])
        return try #require(((run["InstanceIdSets"] as? [String: Any])?["InstanceIdSet"] as? [String])?.first)
    }

    static func items(_ body: [String: Any], _ collection: String, _ item: String) -> [[String: Any]] {
        (body[collection] as? [String: Any])?[item] as? [[String: Any]] ?? []
    }

    static func expectError(_ reply: TestReply, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status && reply.code == code, "\(reply.body)", sourceLocation: sourceLocation)
    }

    @Test("security groups: create without a name, rules once each, launch checks the group, membership, in-use deletion refused")
    func securityGroups() async throws {
        let accounts = try await Accounts()
        let created = try await accounts.ok(nil, "CreateSecurityGroup", [Self.region, ("Description", "web tier")])
        let group = try #require(created["SecurityGroupId"] as? String)
        #expect(group.hasPrefix("sg-"))
        for _ in 0..<2 {
            _ = try await accounts.ok(
                nil, "AuthorizeSecurityGroup",
                [("SecurityGroupId", group), ("IpProtocol", "tcp"), ("PortRange", "22/22"), ("SourceCidrIp", "0.0.0.0/0")])
        }
        Self.expectError(
            try await accounts.call(
                nil, "AuthorizeSecurityGroup",
                [("SecurityGroupId", group), ("IpProtocol", "tcp"), ("PortRange", "0/22"), ("SourceCidrIp", "0.0.0.0/0")]),
            400, "InvalidPortRange.Malformed")
        Self.expectError(
            try await accounts.call(
                nil, "AuthorizeSecurityGroup",
                [("SecurityGroupId", group), ("IpProtocol", "tcp"), ("PortRange", "22/22"), ("SourceCidrIp", "10.0.0.300/8")]),
            400, "InvalidSourceCidrIp.Malformed")
        let attribute = try await accounts.ok(nil, "DescribeSecurityGroupAttribute", [("SecurityGroupId", group)])
        let permissions = Self.items(attribute, "Permissions", "Permission")
        #expect(permissions.count == 1)
        #expect(permissions.first?["IpProtocol"] as? String == "TCP")
        #expect(permissions.first?["Priority"] as? String == "1")
        #expect(attribute["Description"] as? String == "web tier")

        Self.expectError(
            try await accounts.call(
                nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("SecurityGroupId", "sg-nope")]),
            404, "InvalidSecurityGroupId.NotFound")
        // Another account's group is no group at all.
        Self.expectError(
            try await accounts.call(
                accounts.friend, "RunInstances",
                [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("SecurityGroupId", group)]),
            404, "InvalidSecurityGroupId.NotFound")
        Self.expectError(
            try await accounts.call(accounts.friend, "DescribeSecurityGroupAttribute", [("SecurityGroupId", group)]), 404,
            "InvalidSecurityGroupId.NotFound")

        let instance = try await Self.launch(accounts, nil, [("SecurityGroupId", group)])
        let described = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("SecurityGroupId", group)])
        let listed = Self.items(described, "Instances", "Instance")
        #expect(listed.map { $0["InstanceId"] as? String } == [instance])
        #expect(((listed.first?["SecurityGroupIds"] as? [String: Any])?["SecurityGroupId"] as? [String]) == [group])
        Self.expectError(try await accounts.call(nil, "DeleteSecurityGroup", [("SecurityGroupId", group)]), 403, "DependencyViolation")
        let groups = try await accounts.ok(nil, "DescribeSecurityGroups", [Self.region, ("SecurityGroupIds", "[\"\(group)\"]")])
        #expect(Self.items(groups, "SecurityGroups", "SecurityGroup").first?["EcsCount"] as? Int == 1)

        // Membership: join a second group, leave the first, never the last.
        let second = try #require(
            try await accounts.ok(nil, "CreateSecurityGroup", [Self.region, ("SecurityGroupName", "second")])["SecurityGroupId"] as? String)
        _ = try await accounts.ok(nil, "JoinSecurityGroup", [("InstanceId", instance), ("SecurityGroupId", second)])
        Self.expectError(
            try await accounts.call(nil, "JoinSecurityGroup", [("InstanceId", instance), ("SecurityGroupId", second)]), 403,
            "InvalidInstanceId.AlreadyExists")
        _ = try await accounts.ok(nil, "LeaveSecurityGroup", [("InstanceId", instance), ("SecurityGroupId", group)])
        Self.expectError(
            try await accounts.call(nil, "LeaveSecurityGroup", [("InstanceId", instance), ("SecurityGroupId", second)]), 403,
            "InstanceLastSecurityGroup")
        let byName = try await accounts.ok(nil, "DescribeSecurityGroups", [Self.region, ("SecurityGroupName", "sec"), ("FuzzyQuery", "true")])
        #expect(Self.items(byName, "SecurityGroups", "SecurityGroup").map { $0["SecurityGroupId"] as? String } == [second])

        _ = try await accounts.ok(
            nil, "RevokeSecurityGroup",
            [("SecurityGroupId", group), ("IpProtocol", "TCP"), ("PortRange", "22/22"), ("SourceCidrIp", "0.0.0.0/0")])
        #expect(Self.items(try await accounts.ok(nil, "DescribeSecurityGroupAttribute", [("SecurityGroupId", group)]), "Permissions", "Permission").isEmpty)
        _ = try await accounts.ok(nil, "DeleteSecurityGroup", [("SecurityGroupId", group)])
        Self.expectError(
            try await accounts.call(nil, "DescribeSecurityGroupAttribute", [("SecurityGroupId", group)]), 404, "InvalidSecurityGroupId.NotFound")
    }

    @Test("tags: tag, list, filter and untag the caller's own resources; a shared image cannot be tagged by its recipient")
    func tags() async throws {
        let accounts = try await Accounts()
        let tagged = try await Self.launch(accounts)
        let plain = try await Self.launch(accounts)
        _ = try await accounts.ok(
            nil, "TagResources",
            [Self.region, ("ResourceType", "instance"), ("ResourceId.1", tagged), ("Tag.1.Key", "role name"), ("Tag.1.Value", "web")])
        let listed = try await accounts.ok(nil, "ListTagResources", [Self.region, ("ResourceType", "instance"), ("ResourceId.1", tagged)])
        let pairs = Self.items(listed, "TagResources", "TagResource")
        #expect(pairs.count == 1 && pairs.first?["TagKey"] as? String == "role name" && pairs.first?["TagValue"] as? String == "web")

        let filtered = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("Tag.1.Key", "role name"), ("Tag.1.Value", "web")])
        #expect(Self.items(filtered, "Instances", "Instance").map { $0["InstanceId"] as? String } == [tagged])
        #expect(filtered["TotalCount"] as? Int == 1)
        let other = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("Tag.1.Key", "role name"), ("Tag.1.Value", "db")])
        #expect(Self.items(other, "Instances", "Instance").isEmpty)
        #expect(plain != tagged)

        let image = try await accounts.makeImage()
        _ = try await accounts.ok(nil, "ModifyImageSharePermission", [Self.region, ("ImageId", image), ("AddAccount.1", accounts.friendId)])
        Self.expectError(
            try await accounts.call(
                accounts.friend, "TagResources",
                [Self.region, ("ResourceType", "image"), ("ResourceId.1", image), ("Tag.1.Key", "mine")]),
            404, "InvalidResourceId.NotFound")
        let friendsView = try await accounts.ok(accounts.friend, "ListTagResources", [Self.region, ("ResourceType", "image"), ("ResourceId.1", image)])
        #expect(Self.items(friendsView, "TagResources", "TagResource").isEmpty)

        let many = (1...21).flatMap { [("Tag.\($0).Key", "k\($0)"), ("Tag.\($0).Value", "v")] }
        Self.expectError(
            try await accounts.call(nil, "TagResources", [Self.region, ("ResourceType", "instance"), ("ResourceId.1", tagged)] + many),
            400, "InvalidTagCount")
        Self.expectError(
            try await accounts.call(nil, "TagResources", [Self.region, ("ResourceType", "vpc"), ("ResourceId.1", tagged), ("Tag.1.Key", "k")]),
            404, "InvalidResourceType.NotFound")
        _ = try await accounts.ok(
            nil, "UntagResources", [Self.region, ("ResourceType", "instance"), ("ResourceId.1", tagged), ("TagKey.1", "role name")])
        let after = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("Tag.1.Key", "role name")])
        #expect(Self.items(after, "Instances", "Instance").isEmpty)
    }

    @Test("instance attributes: user data, renaming, reboot, one public IP, and no RegionId needed")
    func instanceAttributes() async throws {
        let accounts = try await Accounts()
        let script = Data("#!/bin/sh\necho hello\n".utf8).base64EncodedString()
        let withData = try await Self.launch(accounts, nil, [("UserData", script), ("InternetMaxBandwidthOut", "5")])
        let without = try await Self.launch(accounts)
        #expect(try await accounts.ok(nil, "DescribeUserData", [("InstanceId", withData)])["UserData"] as? String == script)
        #expect(try await accounts.ok(nil, "DescribeUserData", [("InstanceId", without)])["UserData"] as? String == "")
        Self.expectError(
            try await accounts.call(nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("UserData", "not base64!")]),
            400, "InvalidUserData.Malformed")
        // Base64 wrapped in lines (as `base64` and MIME encoders write it) is kept without the line breaks.
        let wrapped = try await Self.launch(accounts, nil, [("UserData", String(script.prefix(8)) + "\r\n" + script.dropFirst(8))])
        #expect(try await accounts.ok(nil, "DescribeUserData", [("InstanceId", wrapped)])["UserData"] as? String == script)
        let tooLarge = Data(repeating: 65, count: InstanceRules.maxUserDataBytes + 1).base64EncodedString()
        Self.expectError(
            try await accounts.call(nil, "RunInstances", [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("UserData", tooLarge)]),
            400, "InvalidUserData.SizeExceeded")

        _ = try await accounts.ok(nil, "ModifyInstanceAttribute", [("InstanceId", without), ("InstanceName", "renamed"), ("HostName", "web-1")])
        let attribute = try await accounts.ok(nil, "DescribeInstanceAttribute", [("InstanceId", without)])
        #expect(attribute["InstanceName"] as? String == "renamed" && attribute["HostName"] as? String == "web-1")
        Self.expectError(
            try await accounts.call(nil, "ModifyInstanceAttribute", [("InstanceId", without), ("UserData", script)]), 403,
            "IncorrectInstanceStatus")
        Self.expectError(
            try await accounts.call(nil, "ModifyInstanceAttribute", [("InstanceId", without), ("Password", "short")]), 400,
            "InvalidPassword.Malformed")
        Self.expectError(
            try await accounts.call(nil, "ModifyInstanceAttribute", [("InstanceId", without), ("DeletionProtection", "true")]), 400,
            "InvalidParameter")

        _ = try await accounts.ok(nil, "RebootInstance", [("InstanceId", without), ("ForceStop", "false")])
        _ = try await accounts.ok(nil, "StopInstance", [("InstanceId", without)])
        Self.expectError(try await accounts.call(nil, "RebootInstance", [("InstanceId", without)]), 403, "IncorrectInstanceStatus")
        _ = try await accounts.ok(nil, "ModifyInstanceAttribute", [("InstanceId", without), ("UserData", script)])
        #expect(try await accounts.ok(nil, "DescribeUserData", [("InstanceId", without)])["UserData"] as? String == script)

        // RunInstances with public bandwidth got an address; AllocatePublicIpAddress gives one once, and only
        // to an instance with public bandwidth.
        Self.expectError(try await accounts.call(nil, "AllocatePublicIpAddress", [("InstanceId", without)]), 403, "OperationDenied")
        let created = try await accounts.ok(
            nil, "CreateInstance",
            [Self.region, ("ImageId", Self.ubuntu), ("InstanceType", "ecs.g7.large"), ("InternetMaxBandwidthOut", "10")])
        let bandwidth = try #require(created["InstanceId"] as? String)
        let first = try #require(try await accounts.ok(nil, "AllocatePublicIpAddress", [("InstanceId", bandwidth)])["IpAddress"] as? String)
        #expect(try await accounts.ok(nil, "AllocatePublicIpAddress", [("InstanceId", bandwidth)])["IpAddress"] as? String == first)
        let byAddress = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("PublicIpAddresses", "[\"\(first)\"]")])
        #expect(Self.items(byAddress, "Instances", "Instance").map { $0["InstanceId"] as? String } == [bandwidth])
        let launched = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("InstanceIds", "['\(withData)']")])
        let addresses = (Self.items(launched, "Instances", "Instance").first?["PublicIpAddress"] as? [String: Any])?["IpAddress"] as? [String]
        #expect(addresses?.count == 1)
        Self.expectError(try await accounts.call(accounts.friend, "DescribeUserData", [("InstanceId", withData)]), 404, "InvalidInstanceId.NotFound")
    }

    @Test("DeleteImage: the owner's own instances hold an image back; a former recipient's do not")
    func deleteImageInUse() async throws {
        let accounts = try await Accounts()
        let image = try await accounts.makeImage()
        let own = try await Self.launch(accounts, nil, [("ImageId", image)])
        Self.expectError(try await accounts.call(nil, "DeleteImage", [Self.region, ("ImageId", image)]), 403, "ImageUsingByInstance")
        _ = try await accounts.ok(nil, "DeleteInstance", [("InstanceId", own), ("Force", "true")])
        _ = try await accounts.ok(nil, "DeleteImage", [Self.region, ("ImageId", image)])
    }

    @Test("Describe filters filter, or match nothing, or are refused: never ignored")
    func filters() async throws {
        let accounts = try await Accounts()
        let inB = try await Self.launch(accounts, nil, [("ZoneId", "cn-hangzhou-b")])
        let inC = try await Self.launch(accounts, nil, [("ZoneId", "cn-hangzhou-c"), ("InstanceType", "ecs.c7.large")])
        func ids(_ parameters: [(String, String)]) async throws -> [String] {
            Self.items(try await accounts.ok(nil, "DescribeInstances", [Self.region] + parameters), "Instances", "Instance")
                .compactMap { $0["InstanceId"] as? String }
        }
        #expect(try await ids([("ZoneId", "cn-hangzhou-b")]) == [inB])
        #expect(try await ids([("InstanceTypeFamily", "ecs.c7")]) == [inC])
        #expect(try await ids([("IoOptimized", "true")]).count == 2)
        #expect(try await ids([("IoOptimized", "false")]).isEmpty)
        #expect(try await ids([("LockReason", "security")]).isEmpty)
        #expect(try await ids([("InstanceIds", "[\"\(inB)\"\"\(inC)\"]")]).count == 2)
        Self.expectError(try await accounts.call(nil, "DescribeInstances", [Self.region, ("ZoneId", "cn-hangzhou-z")]), 404, "InvalidZoneId.NotFound")
        Self.expectError(
            try await accounts.call(nil, "DescribeInstances", [Self.region, ("Filter.1.Key", "x"), ("Filter.1.Value", "y")]), 400,
            "InvalidParameter")
        // NextToken paging covers every instance once.
        let first = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("MaxResults", "1")])
        let token = try #require(first["NextToken"] as? String)
        #expect(!token.isEmpty)
        let second = try await accounts.ok(nil, "DescribeInstances", [Self.region, ("MaxResults", "1"), ("NextToken", token)])
        #expect(second["NextToken"] as? String == "")
        let paged = (Self.items(first, "Instances", "Instance") + Self.items(second, "Instances", "Instance")).compactMap { $0["InstanceId"] as? String }
        #expect(Set(paged) == [inB, inC])

        let disks = try await accounts.ok(nil, "DescribeDisks", [Self.region, ("Encrypted", "true")])
        #expect(Self.items(disks, "Disks", "Disk").isEmpty)
        let systemDisks = try await accounts.ok(nil, "DescribeDisks", [Self.region, ("ZoneId", "cn-hangzhou-c"), ("Portable", "false")])
        #expect(Self.items(systemDisks, "Disks", "Disk").map { $0["InstanceId"] as? String } == [inC])
    }

    @Test("disks and snapshots: create, attach in the same zone only, detach, delete; snapshots an image or disk was made from")
    func disks() async throws {
        let accounts = try await Accounts()
        let instance = try await Self.launch(accounts, nil, [("ZoneId", "cn-hangzhou-b")])
        let disk = try #require(
            try await accounts.ok(nil, "CreateDisk", [Self.region, ("ZoneId", "cn-hangzhou-b"), ("Size", "40"), ("DiskName", "data")])["DiskId"] as? String)
        let elsewhere = try #require(
            try await accounts.ok(nil, "CreateDisk", [Self.region, ("ZoneId", "cn-hangzhou-c"), ("Size", "40")])["DiskId"] as? String)
        Self.expectError(try await accounts.call(nil, "AttachDisk", [("DiskId", elsewhere), ("InstanceId", instance)]), 403, "OperationDenied")
        _ = try await accounts.ok(nil, "AttachDisk", [("DiskId", disk), ("InstanceId", instance), ("DeleteWithInstance", "false")])
        let attached = Self.items(try await accounts.ok(nil, "DescribeDisks", [Self.region, ("DiskIds", "[\"\(disk)\"]")]), "Disks", "Disk")
        #expect(attached.first?["Status"] as? String == "In_use" && attached.first?["Device"] as? String == "/dev/xvdb")
        Self.expectError(try await accounts.call(nil, "DeleteDisk", [("DiskId", disk)]), 403, "IncorrectDiskStatus")
        _ = try await accounts.ok(nil, "DetachDisk", [("DiskId", disk), ("InstanceId", instance)])
        _ = try await accounts.ok(nil, "ModifyDiskAttribute", [("DiskId", disk), ("Description", "scratch space")])
        let detached = Self.items(try await accounts.ok(nil, "DescribeDisks", [Self.region, ("DiskIds", disk)]), "Disks", "Disk")
        #expect(detached.first?["Status"] as? String == "Available" && detached.first?["Description"] as? String == "scratch space")
        _ = try await accounts.ok(nil, "DeleteDisk", [("DiskId", disk)])
        Self.expectError(try await accounts.call(nil, "DeleteDisk", [("DiskId", disk)]), 404, "InvalidDiskId.NotFound")

        // A snapshot an image was made from stays while the image does; one a disk was made from needs Force.
        let system = Self.items(try await accounts.ok(nil, "DescribeDisks", [Self.region, ("InstanceId", instance), ("DiskType", "system")]), "Disks", "Disk")
        let systemDisk = try #require(system.first?["DiskId"] as? String)
        let snapshot = try #require(try await accounts.ok(nil, "CreateSnapshot", [("DiskId", systemDisk)])["SnapshotId"] as? String)
        _ = try await accounts.ok(nil, "CreateImage", [Self.region, ("SnapshotId", snapshot), ("ImageName", "from-snapshot")])
        Self.expectError(try await accounts.call(nil, "DeleteSnapshot", [("SnapshotId", snapshot)]), 403, "SnapshotCreatedImage")
        let dataSnapshot = try #require(try await accounts.ok(nil, "CreateSnapshot", [("DiskId", elsewhere)])["SnapshotId"] as? String)
        _ = try await accounts.ok(nil, "CreateDisk", [Self.region, ("ZoneId", "cn-hangzhou-c"), ("SnapshotId", dataSnapshot)])
        Self.expectError(try await accounts.call(nil, "DeleteSnapshot", [("SnapshotId", dataSnapshot)]), 403, "SnapshotCreatedDisk")
        _ = try await accounts.ok(nil, "DeleteSnapshot", [("SnapshotId", dataSnapshot), ("Force", "true")])
        let gone = try await accounts.ok(nil, "DescribeSnapshots", [Self.region, ("SnapshotIds", "['\(dataSnapshot)']")])
        #expect(gone["TotalCount"] as? Int == 0)
    }

    @Test("zones and instance types come from the catalogues")
    func catalogue() async throws {
        let accounts = try await Accounts()
        let zones = Self.items(try await accounts.ok(nil, "DescribeZones", [Self.region]), "Zones", "Zone")
        #expect(zones.compactMap { $0["ZoneId"] as? String } == Region.zoneLetters.map { "cn-hangzhou-\($0)" })
        let types = Self.items(try await accounts.ok(nil, "DescribeInstanceTypes"), "InstanceTypes", "InstanceType")
        #expect(types.count == InstanceType.catalogue.count)
        let large = try #require(types.first { $0["InstanceTypeId"] as? String == "ecs.g7.large" })
        #expect(large["CpuCoreCount"] as? Int == 2 && large["MemorySize"] as? Int == 8 && large["InstanceTypeFamily"] as? String == "ecs.g7")
        let arm = Self.items(try await accounts.ok(nil, "DescribeInstanceTypes", [("CpuArchitecture", "ARM")]), "InstanceTypes", "InstanceType")
        #expect(Set(arm.compactMap { $0["InstanceTypeFamily"] as? String }) == ["ecs.g8y"])
        Self.expectError(try await accounts.call(nil, "DescribeInstanceTypes", [("NvmeSupport", "required")]), 400, "InvalidParameter")
    }
}
