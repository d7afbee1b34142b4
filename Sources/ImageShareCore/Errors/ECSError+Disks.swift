/// The codes of the disk, snapshot and instance-attribute calls clients use around images.
extension ECSError {
    public static let invalidDiskCategory = ECSError(
        code: "InvalidDiskCategory.ValueNotSupported", httpStatus: 400, message: "The specified parameter DiskCategory is not valid.")

    public static let invalidDiskSize = ECSError(
        code: "InvalidSize.ValueNotSupported", httpStatus: 400, message: "The specified parameter Size is not valid: 20 to 32768 GiB.")

    public static let diskSmallerThanSnapshot = ECSError(
        code: "InvalidSize.ValueNotSupported", httpStatus: 400,
        message: "The specified parameter Size is smaller than the size of the snapshot.")

    public static let diskNameMalformed = ECSError(
        code: "InvalidDiskName.Malformed", httpStatus: 400, message: "The specified disk name is wrongly formed.")

    public static let diskZoneMismatch = ECSError(
        code: "OperationDenied", httpStatus: 403, message: "The specified disk and instance are not in the same zone.")

    public static let instanceDiskLimitExceeded = ECSError(
        code: "InstanceDiskNumber.LimitExceed", httpStatus: 403, message: "The amount of the disk on instance in question reach its limits (16 data disks).")

    public static let diskNotAttachedThere = ECSError(
        code: "IncorrectDiskStatus", httpStatus: 403, message: "The specified disk is not attached to the specified instance.")

    public static let systemDiskNotDetachable = ECSError(
        code: "OperationDenied", httpStatus: 403, message: "The specified disk is a system disk, which cannot be detached.")

    public static let snapshotUsedByImage = ECSError(
        code: "SnapshotCreatedImage", httpStatus: 403, message: "The snapshot has been used to create user defined image(s).")

    public static let snapshotUsedByDisk = ECSError(
        code: "SnapshotCreatedDisk", httpStatus: 403,
        message: "The snapshot has been used to create disk(s); use the Force parameter to delete it anyway.")

    public static let passwordMalformed = ECSError(
        code: "InvalidPassword.Malformed", httpStatus: 400,
        message: "The specified parameter Password is not valid: 8 to 30 characters with three of upper case, lower case, digits and ()`~!@#$%^&*-_+=|{}[]:;'<>,.?/.")

    public static let userDataMalformed = ECSError(
        code: "InvalidUserData.Malformed", httpStatus: 400,
        message: "The specified parameter UserData is not valid: Base64 text of at most 32 KB.")

    public static let userDataTooLarge = ECSError(
        code: "InvalidUserData.SizeExceeded", httpStatus: 400, message: "The specified parameter UserData exceeds the size limit of 32 KB.")

    public static let invalidBandwidth = ECSError(
        code: "InvalidInternetMaxBandwidthOut.Malformed", httpStatus: 400,
        message: "The specified parameter InternetMaxBandwidthOut is not valid: 0 to 100.")

    /// ECS documents that the instance needs public bandwidth but not the code it answers without; this is
    /// its generic refusal, with the reason.
    public static let publicBandwidthRequired = ECSError(
        code: "OperationDenied", httpStatus: 403,
        message: "The instance has no public bandwidth: launch it with InternetMaxBandwidthOut above 0 to allocate a public IP address.")

    /// A documented parameter this server does not implement: refused rather than silently ignored.
    public static func unsupportedParameter(_ name: String) -> ECSError {
        ECSError(
            code: "InvalidParameter", httpStatus: 400,
            message: "The specified parameter \"\(name)\" is not supported by ImageShare; it is refused rather than ignored.")
    }
}
