import ECSWire
import ImageShareCore

/// Renders DescribeInstances' `Instance` object: the 53 members ECS always sends, with the values an emulator
/// can honestly give (empty for what it does not model), listed in the order of ECS's own answers so that
/// members sharing a hash bucket come out as ECS writes them (`MemberOrder.javaHashMap` does the rest).
enum InstancePresenter {
    static func value(_ instance: Instance) -> WireValue {
        let inVPC = !instance.vSwitchId.isEmpty
        let privateIps: [WireValue] = [.string(instance.privateIp)]
        let type = instance.instanceType
        return .object([
            ("ResourceGroupId", .string("")),
            ("Memory", .int(type.memoryMiB)),
            ("InstanceChargeType", .string(instance.chargeType)),
            ("Cpu", .int(type.cpu)),
            ("OSName", .string(instance.osName)),
            ("InstanceNetworkType", .string(inVPC ? "vpc" : "classic")),
            ("InnerIpAddress", .collection("IpAddress", inVPC ? [] : privateIps)),
            ("ExpiredTime", .string("2099-12-31T15:59Z")),
            ("ImageId", .string(instance.imageId)),
            ("EipAddress", .object([("AllocationId", .string("")), ("IpAddress", .string("")), ("InternetChargeType", .string(""))])),
            ("HostName", .string(instance.hostName)),
            ("Tags", .collection("Tag", instance.tags.map(TagPresenter.value))),
            ("VlanId", .string("")),
            ("Status", .string(instance.status.rawValue)),
            ("MetadataOptions", .object([("HttpTokens", .string("optional")), ("HttpEndpoint", .string("enabled"))])),
            ("InstanceId", .string(instance.id)),
            ("StoppedMode", .string(instance.status == .stopped ? "KeepCharging" : "Not-applicable")),
            (
                "CpuOptions",
                .object([("ThreadsPerCore", .int(2)), ("Numa", .string("")), ("CoreCount", .int(max(1, type.cpu / 2)))])
            ),
            ("StartTime", .string(instance.startTime.map { ECSTimestamp.format($0).dropLast(4) + "Z" } ?? "")),
            ("DeletionProtection", .bool(false)),
            ("SecurityGroupIds", .collection("SecurityGroupId", instance.securityGroupIds.map(WireValue.string))),
            (
                "VpcAttributes",
                .object([
                    ("PrivateIpAddress", .collection("IpAddress", inVPC ? privateIps : [])),
                    ("VpcId", .string(instance.vpcId)),
                    ("VSwitchId", .string(instance.vSwitchId)),
                    ("NatIpAddress", .string("")),
                ])
            ),
            ("InternetChargeType", .string(instance.network.internetChargeType)),
            ("InstanceName", .string(instance.name)),
            ("DeploymentSetId", .string("")),
            ("InternetMaxBandwidthOut", .int(instance.network.maxBandwidthOut)),
            ("SerialNumber", .string(String(instance.id.dropFirst(2)))),
            ("OSType", .string(instance.osType)),
            ("CreationTime", .string(ECSTimestamp.format(instance.creationTime).dropLast(4) + "Z")),
            ("AutoReleaseTime", .string("")),
            ("Description", .string(instance.description)),
            ("InstanceTypeFamily", .string(type.family)),
            ("DedicatedInstanceAttribute", .object([("Tenancy", .string("")), ("Affinity", .string(""))])),
            ("PublicIpAddress", .collection("IpAddress", instance.publicIp.isEmpty ? [] : [.string(instance.publicIp)])),
            ("GPUSpec", .string("")),
            (
                "NetworkInterfaces",
                .collection(
                    "NetworkInterface",
                    [
                        .object([
                            ("Type", .string("Primary")),
                            ("PrimaryIpAddress", .string(instance.privateIp)),
                            ("NetworkInterfaceId", .string("eni-" + instance.id.dropFirst(2))),
                            ("MacAddress", .string(macAddress(of: instance))),
                            (
                                "PrivateIpSets",
                                .collection(
                                    "PrivateIpSet",
                                    [.object([("PrivateIpAddress", .string(instance.privateIp)), ("Primary", .bool(true))])])
                            ),
                        ])
                    ])
            ),
            ("SpotPriceLimit", .int(0)),
            ("DeviceAvailable", .bool(true)),
            ("SaleCycle", .string("")),
            ("InstanceType", .string(type.id)),
            ("OSNameEn", .string(instance.osNameEn)),
            ("SpotStrategy", .string("NoSpot")),
            ("IoOptimized", .bool(true)),
            ("ZoneId", .string(instance.zoneId)),
            ("ClusterId", .string("")),
            (
                "EcsCapacityReservationAttr",
                .object([("CapacityReservationPreference", .string("")), ("CapacityReservationId", .string(""))])
            ),
            (
                "DedicatedHostAttribute",
                .object([("DedicatedHostId", .string("")), ("DedicatedHostName", .string("")), ("DedicatedHostClusterId", .string(""))])
            ),
            ("GPUAmount", .int(0)),
            ("OperationLocks", .collection("LockReason", [])),
            ("InternetMaxBandwidthIn", .int(instance.network.maxBandwidthIn)),
            ("Recyclable", .bool(false)),
            ("RegionId", .string(instance.regionId)),
            ("CreditSpecification", .string("")),
        ])
    }

    /// A stable, locally administered MAC address derived from the instance ID.
    static func macAddress(of instance: Instance) -> String {
        let bytes = Array(instance.id.utf8.suffix(5))
        return (["00", "16"] + bytes.map { String(format: "%02x", $0) }.prefix(4)).joined(separator: ":")
    }
}

/// Renders DescribeDisks' `Disk` object: the 37 members ECS always sends, in the order of its answers.
enum DiskPresenter {
    static func value(_ disk: Disk) -> WireValue {
        let attached = disk.attachedTime.map(ECSTimestamp.format) ?? ""
        return .object([
            ("DetachedTime", .string(disk.detachedTime.map(ECSTimestamp.format) ?? "")),
            ("Category", .string(disk.category)),
            ("Description", .string(disk.description)),
            ("KMSKeyId", .string("")),
            ("ResourceGroupId", .string("")),
            ("DedicatedBlockStorageClusterId", .string("")),
            ("Encrypted", .bool(false)),
            ("Size", .int(disk.sizeGiB)),
            ("DeleteAutoSnapshot", .bool(true)),
            ("DiskChargeType", .string("PostPaid")),
            ("MultiAttach", .string("Disabled")),
            (
                "Attachments",
                .collection(
                    "Attachment",
                    disk.instanceId.map { instanceId in
                        [
                            .object([
                                ("AttachedTime", .string(attached)), ("InstanceId", .string(instanceId)),
                                ("Device", .string(disk.device)),
                            ])
                        ]
                    } ?? [])
            ),
            ("ExpiredTime", .string("2999-09-08T16:00Z")),
            ("ImageId", .string(disk.imageId)),
            ("StorageSetId", .string("")),
            ("Tags", .collection("Tag", disk.tags.map(TagPresenter.value))),
            ("Status", .string(disk.status)),
            ("AttachedTime", .string(attached)),
            ("ZoneId", .string(disk.zoneId)),
            ("InstanceId", .string(disk.instanceId ?? "")),
            ("SourceSnapshotId", .string(disk.sourceSnapshotId)),
            ("ProductCode", .string("")),
            ("PerformanceLevel", .string(disk.category == "cloud_essd" ? "PL1" : "")),
            ("Device", .string(disk.device)),
            ("DeleteWithInstance", .bool(disk.deleteWithInstance)),
            ("EnableAutomatedSnapshotPolicy", .bool(false)),
            ("EnableAutoSnapshot", .bool(false)),
            ("AutoSnapshotPolicyId", .string("")),
            ("DiskName", .string(disk.name)),
            ("OperationLocks", .collection("OperationLock", [])),
            ("BdfId", .string("")),
            ("Portable", .bool(disk.type == "data")),
            ("Type", .string(disk.type)),
            ("SerialNumber", .string(String(disk.id.dropFirst(2)))),
            ("CreationTime", .string(ECSTimestamp.format(disk.creationTime))),
            ("RegionId", .string(disk.regionId)),
            ("DiskId", .string(disk.id)),
        ])
    }
}

/// Renders DescribeSnapshots' `Snapshot` object: the 20 members ECS always sends, in the order of its answers.
enum SnapshotPresenter {
    static func value(_ snapshot: Snapshot) -> WireValue {
        let created = ECSTimestamp.format(snapshot.creationTime)
        return .object([
            ("Status", .string("accomplished")),
            ("InstantAccess", .bool(false)),
            ("Progress", .string("100%")),
            ("Usage", .string(snapshot.usage)),
            ("Description", .string(snapshot.description)),
            ("Category", .string("standard")),
            ("KMSKeyId", .string("")),
            ("ProductCode", .string("")),
            ("Encrypted", .bool(false)),
            ("SnapshotName", .string(snapshot.name)),
            ("SourceDiskId", .string(snapshot.sourceDiskId)),
            ("SourceStorageType", .string("disk")),
            ("SnapshotId", .string(snapshot.id)),
            ("SnapshotSN", .string(String(snapshot.id.dropFirst(2)))),
            ("SourceDiskSize", .int(snapshot.sourceDiskSizeGiB)),
            ("CreationTime", .string(created)),
            ("LastModifiedTime", .string(created)),
            ("SnapshotType", .string("user")),
            ("SourceDiskType", .string(snapshot.sourceDiskType)),
            ("Tags", .collection("Tag", snapshot.tags.map(TagPresenter.value))),
        ])
    }
}
