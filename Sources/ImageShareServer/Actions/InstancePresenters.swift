import ECSWire
import ImageShareCore

/// Renders DescribeInstances' `Instance` object.
enum InstancePresenter {
    static func value(_ instance: Instance) -> WireValue {
        .object([
            ("InstanceId", .string(instance.id)),
            ("InstanceName", .string(instance.name)),
            ("Description", .string(instance.description)),
            ("HostName", .string(instance.hostName)),
            ("ImageId", .string(instance.imageId)),
            ("Status", .string(instance.status.rawValue)),
            ("RegionId", .string(instance.regionId)),
            ("ZoneId", .string(instance.zoneId)),
            ("InstanceType", .string(instance.instanceType.id)),
            ("InstanceTypeFamily", .string(instance.instanceType.id.split(separator: ".").prefix(2).joined(separator: "."))),
            ("Cpu", .int(instance.instanceType.cpu)),
            ("Memory", .int(instance.instanceType.memoryMiB)),
            ("OSType", .string(instance.osType)),
            ("OSName", .string(instance.osName)),
            ("CreationTime", .string(ECSTimestamp.format(instance.creationTime).dropLast(4) + "Z")),
            ("StartTime", .string(instance.startTime.map { ECSTimestamp.format($0).dropLast(4) + "Z" } ?? "")),
            ("ExpiredTime", .string("2099-12-31T15:59Z")),
            ("InstanceChargeType", .string(instance.chargeType)),
            ("InternetChargeType", .string("PayByTraffic")),
            ("InstanceNetworkType", .string(instance.vSwitchId.isEmpty ? "classic" : "vpc")),
            ("IoOptimized", .bool(true)),
            ("DeletionProtection", .bool(false)),
            ("SerialNumber", .string(String(instance.id.dropFirst(2)))),
            ("OperationLocks", .collection("LockReason", [])),
            ("SecurityGroupIds", .collection("SecurityGroupId", instance.securityGroupIds.map(WireValue.string))),
            ("PublicIpAddress", .collection("IpAddress", [])),
            ("InnerIpAddress", .collection("IpAddress", instance.vSwitchId.isEmpty ? [.string(instance.privateIp)] : [])),
            (
                "VpcAttributes",
                .object([
                    ("VpcId", .string(instance.vpcId)),
                    ("VSwitchId", .string(instance.vSwitchId)),
                    ("PrivateIpAddress", .collection("IpAddress", instance.vSwitchId.isEmpty ? [] : [.string(instance.privateIp)])),
                    ("NatIpAddress", .string("")),
                ])
            ),
            ("EipAddress", .object([("AllocationId", .string("")), ("IpAddress", .string(""))])),
            ("Tags", .collection("Tag", instance.tags.map(TagPresenter.value))),
        ])
    }
}

/// Renders DescribeDisks' `Disk` object.
enum DiskPresenter {
    static func value(_ disk: Disk) -> WireValue {
        .object([
            ("DiskId", .string(disk.id)),
            ("DiskName", .string(disk.name)),
            ("Description", .string("")),
            ("InstanceId", .string(disk.instanceId ?? "")),
            ("Device", .string(disk.device)),
            ("Type", .string(disk.type)),
            ("Category", .string(disk.category)),
            ("Size", .int(disk.sizeGiB)),
            ("Status", .string(disk.status)),
            ("ImageId", .string(disk.imageId)),
            ("SourceSnapshotId", .string(disk.sourceSnapshotId)),
            ("RegionId", .string(disk.regionId)),
            ("ZoneId", .string(disk.zoneId)),
            ("CreationTime", .string(ECSTimestamp.format(disk.creationTime))),
            ("AttachedTime", .string(disk.attachedTime.map(ECSTimestamp.format) ?? "")),
            ("DeleteWithInstance", .bool(disk.deleteWithInstance)),
            ("Encrypted", .bool(false)),
            ("Portable", .bool(disk.type == "data")),
            ("DiskChargeType", .string("PostPaid")),
            ("OperationLocks", .collection("OperationLock", [])),
            ("Tags", .collection("Tag", [])),
            (
                "Attachments",
                .collection(
                    "Attachment",
                    disk.instanceId.map { instanceId in
                        [.object([
                            ("InstanceId", .string(instanceId)), ("Device", .string(disk.device)),
                            ("AttachedTime", .string(disk.attachedTime.map(ECSTimestamp.format) ?? "")),
                        ])]
                    } ?? [])
            ),
        ])
    }
}

/// Renders DescribeSnapshots' `Snapshot` object.
enum SnapshotPresenter {
    static func value(_ snapshot: Snapshot) -> WireValue {
        .object([
            ("SnapshotId", .string(snapshot.id)),
            ("SnapshotName", .string(snapshot.name)),
            ("Description", .string(snapshot.description)),
            ("Status", .string("accomplished")),
            ("Progress", .string("100%")),
            ("SourceDiskId", .string(snapshot.sourceDiskId)),
            ("SourceDiskType", .string(snapshot.sourceDiskType)),
            ("SourceDiskSize", .string(String(snapshot.sourceDiskSizeGiB))),
            ("RegionId", .string(snapshot.regionId)),
            ("CreationTime", .string(ECSTimestamp.format(snapshot.creationTime))),
            ("Usage", .string(snapshot.usage)),
            ("Category", .string("standard")),
            ("Encrypted", .bool(false)),
            ("ProductCode", .string("")),
            ("Tags", .collection("Tag", [])),
        ])
    }
}
