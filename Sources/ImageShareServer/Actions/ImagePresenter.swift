import ECSWire
import ImageShareCore

/// Renders an image as DescribeImages' `Image` object, from the point of view of the calling account.
enum ImagePresenter {
    static func value(of image: Image, viewer: String) -> WireValue {
        let alias: String
        let ownerId: Int
        switch image.ownership {
        case .system:
            alias = "system"
            ownerId = 0
        case let .account(owner):
            alias = owner == viewer ? "self" : "others"
            ownerId = Int(owner) ?? 0
        }
        let mappings: [WireValue] = image.diskDeviceMappings.map { mapping in
            .object([
                ("Device", .string(mapping.device)),
                ("Type", .string(mapping.type)),
                ("SnapshotId", .string(mapping.snapshotId)),
                // A string on the wire, unlike the image's own Size.
                ("Size", .string(String(mapping.sizeGiB))),
                ("Format", .string("")),
                ("ImportOSSBucket", .string("")),
                ("ImportOSSObject", .string("")),
                ("Progress", .string("\(image.progress)%")),
                ("RemainTime", .int(0)),
                ("Encrypted", .bool(false)),
            ])
        }
        return .object([
            ("ImageId", .string(image.id)),
            ("ImageName", .string(image.name)),
            ("Description", .string(image.description)),
            ("ImageOwnerAlias", .string(alias)),
            ("ImageOwnerId", .int(ownerId)),
            // A string on the wire; only the owner learns whether it is shared.
            ("IsSelfShared", .string(alias == "self" && image.shareCount > 0 ? "True" : "False")),
            ("IsPublic", .bool(image.ownership == .system || image.isPublic)),
            ("Status", .string(image.status.rawValue)),
            ("Progress", .string("\(image.progress)%")),
            ("Size", .int(image.sizeGiB)),
            ("OSType", .string(image.osType.rawValue)),
            ("OSName", .string(image.osName)),
            ("OSNameEn", .string(image.osNameEn)),
            ("Platform", .string(image.platform)),
            ("Architecture", .string(image.architecture.rawValue)),
            ("Usage", .string(image.inUse ? "instance" : "none")),
            ("CreationTime", .string(ECSTimestamp.format(image.creationTime))),
            ("IsCopied", .bool(image.isCopied)),
            ("IsSubscribed", .bool(false)),
            ("IsSupportCloudinit", .bool(image.isSupportCloudinit)),
            ("IsSupportIoOptimized", .bool(image.isSupportIoOptimized)),
            ("ImageFamily", .string(image.imageFamily)),
            ("ImageVersion", .string(image.imageVersion)),
            ("ProductCode", .string("")),
            ("ResourceGroupId", .string("")),
            ("BootMode", .string(image.bootMode)),
            ("LicenseType", .string("")),
            ("SupplierName", .string("")),
            ("LoginAsNonRootSupported", .bool(false)),
            ("DiskDeviceMappings", .collection("DiskDeviceMapping", mappings)),
            ("Tags", .collection("Tag", image.tags.map(TagPresenter.value))),
            (
                "Features",
                .object([
                    ("NvmeSupport", .string("supported")), ("ImdsSupport", .string("v1")), ("CpuOnlineUpgrade", .string("")),
                    ("CpuOnlineDowngrade", .string("")), ("MemoryOnlineUpgrade", .string("")), ("MemoryOnlineDowngrade", .string("")),
                ])
            ),
            ("Usable", .bool(image.status == .available || image.status == .deprecated)),
            ("SecureBootOptions", .object([("SecureBootSupport", .string("false"))])),
            ("DetectionOptions", .object([("Status", .string("")), ("Items", .collection("Item", []))])),
        ])
    }
}

/// Renders a tag as `{"TagKey","TagValue"}`.
enum TagPresenter {
    static func value(_ tag: ResourceTag) -> WireValue {
        .object([("TagKey", .string(tag.key)), ("TagValue", .string(tag.value))])
    }
}
