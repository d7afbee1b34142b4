/// The codes of the image, sharing, instance, disk and snapshot calls (ecs-api.md §3–§6).
extension ECSError {
    // MARK: Images

    public static let imageNotFound = ECSError(
        code: "InvalidImageId.NotFound", httpStatus: 404, message: "The specified ImageId does not exist.")

    public static let incorrectImageStatus = ECSError(
        code: "IncorrectImageStatus", httpStatus: 400, message: "The image is not available.")

    public static let imageUseShared = ECSError(
        code: "ImageUseShared", httpStatus: 403,
        message: "The specified image has been shared to others. You can use the DescribeImageSharePermission API to query the users who have been shared.")

    public static let imageUsingByInstance = ECSError(
        code: "ImageUsingByInstance", httpStatus: 403,
        message: "The specified image has been used to create instances. You can use the DescribeInstances API to query these instances, or you can use the force parameter to proceed.")

    public static let imageCopying = ECSError(
        code: "OperationDenied.ImageCopying", httpStatus: 403, message: "The Image is coping.")

    public static let imageQuotaExceeded = ECSError(
        code: "QuotaExceed.Image", httpStatus: 403, message: "The Image Quota exceeds.")

    public static let imageNameMalformed = ECSError(
        code: "InvalidImageName.Malformed", httpStatus: 400, message: "The specified Image name is wrongly formed.")

    public static let imageNameDuplicated = ECSError(
        code: "InvalidImageName.Duplicated", httpStatus: 400, message: "The specified Image name has already bean used.")

    public static let descriptionMalformed = ECSError(
        code: "InvalidDescription.Malformed", httpStatus: 400, message: "The specified description is wrongly formed.")

    public static let missingImageSource = ECSError(
        code: "MissingParameter", httpStatus: 400,
        message: "The input parameter SnapshotId or InstanceId or DiskDeviceMapping that is mandatory for processing this request is not supplied.")

    public static let sameRegionOnly = ECSError(
        code: "OperationDenied.SameRegionOnly", httpStatus: 403,
        message: "The image shared from others can not be copied to another region directly.")

    public static let destinationRegionNotFound = ECSError(
        code: "DestinationRegion.NotFound", httpStatus: 400, message: "The destination region not found")

    public static let imageNotFromCopy = ECSError(
        code: "ImageCreatedNotFromCopy", httpStatus: 400,
        message: "The specified image is not the target image of a copy action.")

    public static let imageCopyFinished = ECSError(
        code: "IncorrectImageStatus", httpStatus: 400, message: "The image is copied finished.")

    public static let invalidTagCount = ECSError(
        code: "InvalidTagCount", httpStatus: 400, message: "The specified tags are beyond the permitted range.")

    public static let invalidTagKey = ECSError(
        code: "InvalidTagKey.Malformed", httpStatus: 400, message: "The specified Tag.n.Key is not valid.")

    public static let invalidTagValue = ECSError(
        code: "InvalidTagValue.Malformed", httpStatus: 400, message: "The specified Tag.n.Value is not valid.")

    public static let duplicateTagKey = ECSError(
        code: "Duplicate.TagKey", httpStatus: 400, message: "The Tag.N.Key contain duplicate key.")

    public static let invalidFilterKey = ECSError(
        code: "InvalidFilterKey.NotFound", httpStatus: 404, message: "The specified filter key is not found.")

    public static let invalidFilterValue = ECSError(
        code: "InvalidFilterValue", httpStatus: 400, message: "The specified filter value is not valid.")

    public static let invalidUsage = ECSError(
        code: "InvalidUsage", httpStatus: 404, message: "The specified Usage is not valid.")

    public static let invalidActionType = ECSError(
        code: "InvalidActionType.NotSupported", httpStatus: 400, message: "The specified ActionType is not supported.")

    // MARK: Sharing

    public static func shareAccountNotFound(_ accountId: String) -> ECSError {
        ECSError(
            code: "InvalidAccount.NotFound", httpStatus: 404,
            message: "The specified parameter \"AddAccount.n\" or \"RemoveAccount.n\" does not exist: no account \(accountId).")
    }

    /// A sharing call on an image the caller does not own: the same code as any missing image, with the reason.
    public static let imageNotShareable = ECSError(
        code: "InvalidImageId.NotFound", httpStatus: 404,
        message: "The specified ImageId does not exist in this account: only your own custom images in this region can be shared.")

    /// Spelled `Forbbiden` on the wire.
    public static let shareWithSelf = ECSError(
        code: "InvalidAccount.Forbbiden", httpStatus: 404, message: "The specified Account does not yourself.")

    public static let shareImageUserQuotaExceeded = ECSError(
        code: "QuotaExceed.ShareImageUser", httpStatus: 403, message: "The shared Image user Quota exceeds.")

    // MARK: Instances and disks

    public static let instanceNotFound = ECSError(
        code: "InvalidInstanceId.NotFound", httpStatus: 404, message: "The specified InstanceId does not exist.")

    public static let incorrectInstanceStatus = ECSError(
        code: "IncorrectInstanceStatus", httpStatus: 403,
        message: "The current status of the resource does not support this operation.")

    public static let instanceNameMalformed = ECSError(
        code: "InvalidInstanceName.Malformed", httpStatus: 400, message: "Specified instance name is not valid.")

    public static let hostNameMalformed = ECSError(
        code: "InvalidHostName.Malformed", httpStatus: 400, message: "Specified host name is not valid.")

    public static let invalidSystemDiskCategory = ECSError(
        code: "InvalidSystemDiskCategory.ValueNotSupported", httpStatus: 400,
        message: "The specified parameter SystemDisk.Category is not valid.")

    public static let invalidDataDiskCategory = ECSError(
        code: "InvalidDataDiskCategory.ValueNotSupported", httpStatus: 400,
        message: "The specified parameter DataDisk.n.Category is not valid.")

    public static let instanceQuotaExceeded = ECSError(
        code: "QuotaExceed.ElasticQuota", httpStatus: 403,
        message: "The number of instances would exceed the quota of this account in this region.")

    /// Names what this server offers, since its catalogue is smaller than a real region's.
    public static func invalidInstanceType(_ requested: String) -> ECSError {
        ECSError(
            code: "InvalidInstanceType.ValueNotSupported", httpStatus: 400,
            message: "The specified InstanceType \"\(requested)\" does not exist or beyond the permitted range. "
                + "Supported here: \(InstanceType.catalogueIDs.joined(separator: ", ")).")
    }

    public static func instanceTypeImageMismatch(
        instanceType: String, typeArchitecture: String, imageId: String, imageArchitecture: String
    ) -> ECSError {
        ECSError(
            code: "InvalidParameter.NotMatch", httpStatus: 400,
            message: "The provided 'InstanceType -> \(instanceType) (\(typeArchitecture))' and 'Image -> \(imageId) (\(imageArchitecture))' are not matched.")
    }

    public static let systemDiskTooSmall = ECSError(
        code: "InvalidSystemDiskSize.LessThanImageSize", httpStatus: 404,
        message: "The specified parameter SystemDisk.Size is less than the image size.")

    public static let invalidSystemDiskSize = ECSError(
        code: "InvalidSystemDiskSize.ValueNotSupported", httpStatus: 400,
        message: "The specified parameter SystemDisk.Size is not valid.")

    public static let invalidDataDiskSize = ECSError(
        code: "InvalidDataDiskSize.ValueNotSupported", httpStatus: 400,
        message: "The specified parameter DataDisk.n.Size is not valid.")

    public static let snapshotNameMalformed = ECSError(
        code: "InvalidSnapshotName.Malformed", httpStatus: 400, message: "The specified snapshot name is wrongly formed.")

    public static let invalidZone = ECSError(
        code: "InvalidZoneId.NotFound", httpStatus: 404, message: "The specified zone does not exist.")

    public static let diskNotFound = ECSError(
        code: "InvalidDiskId.NotFound", httpStatus: 404, message: "The specified disk does not exist.")

    public static let incorrectDiskStatus = ECSError(
        code: "IncorrectDiskStatus", httpStatus: 403, message: "The current disk status does not support this operation.")

    public static let sharedImageDeleted = ECSError(
        code: "SharedImageDeleted", httpStatus: 403, message: "The specified image by others shared is deleted.")

    public static let reInitImageMissing = ECSError(
        code: "InvalidDiskId.OperationNotSupported", httpStatus: 404,
        message: "The operation is not supported due to image not exist.")

    public static let snapshotNotFound = ECSError(
        code: "InvalidSnapshotId.NotFound", httpStatus: 404, message: "The specified SnapshotId does not exist.")

    public static let snapshotNotSystemDisk = ECSError(
        code: "OperationDenied", httpStatus: 400, message: "The specified snapshot is not a system disk snapshot.")

    public static let invalidDiskType = ECSError(
        code: "InvalidDiskType.ValueNotSupported", httpStatus: 400, message: "The specified disk type is not supported.")

    // MARK: Idempotence

    public static let idempotentParameterMismatch = ECSError(
        code: "IdempotentParameterMismatch", httpStatus: 400, message: "The request is retried with updated parameters.")
}

extension ECSError {
    /// CreateImage answers 400 for this, unlike the instance calls' 403.
    public static let incorrectInstanceStatusForImage = ECSError(
        code: "IncorrectInstanceStatus", httpStatus: 400,
        message: "The current status of the instance does not support this operation.")

    public static let imageNeedsOneSystemSnapshot = ECSError(
        code: "OperationDenied", httpStatus: 400,
        message: "The DiskDeviceMapping must contain exactly one system disk with a snapshot.")

    public static let invalidDevice = ECSError(
        code: "InvalidDevice.Malformed", httpStatus: 400, message: "The specified device is wrongly formed.")

    public static let deviceInUse = ECSError(
        code: "InvalidDevice.InUse", httpStatus: 400, message: "The specified device has been occupied.")

    public static let invalidMappingSize = ECSError(
        code: "InvalidSize.ValueNotSupported", httpStatus: 400, message: "The specified disk size is not supported.")

    public static let imageIsCreating = ECSError(
        code: "ImageIsCreating", httpStatus: 403, message: "The specified image is being created.")
}
