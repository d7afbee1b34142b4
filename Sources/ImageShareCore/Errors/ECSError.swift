/// An ECS-style error: the wire `Code`, the HTTP status it travels with, and a human-readable message.
///
/// Every code the service can answer with is a static member below, so codes and statuses are defined once.
public struct ECSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The wire code, e.g. `InvalidImageId.NotFound`.
    public let code: String
    /// The HTTP status sent with this code.
    public let httpStatus: Int
    /// The wire `Message`.
    public let message: String
    /// Sent as `x-acs-retry-after` (milliseconds): the new SDK raises its throttling error when it is there.
    public let retryAfterMilliseconds: Int?

    public init(code: String, httpStatus: Int, message: String, retryAfterMilliseconds: Int? = nil) {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    public var description: String { "\(code) (\(httpStatus)): \(message)" }
}

extension ECSError {
    // MARK: Parameters

    public static func missingParameter(_ name: String) -> ECSError {
        ECSError(
            code: "MissingParameter", httpStatus: 400,
            message: "The input parameter \"\(name)\" that is mandatory for processing this request is not supplied.")
    }

    public static func invalidParameter(_ name: String, _ detail: String? = nil) -> ECSError {
        let suffix = detail.map { ": \($0)" } ?? "."
        return ECSError(
            code: "InvalidParameter", httpStatus: 400,
            message: "The specified parameter \"\(name)\" is not valid\(suffix)")
    }

    /// The gateway spells this code `InvalidParamater` for unsupported signature methods and versions.
    public static func invalidSignatureParameter(_ name: String) -> ECSError {
        ECSError(
            code: "InvalidParamater", httpStatus: 400,
            message: "The specified parameter \"\(name)\" is not valid.")
    }

    /// Repeats the name, since action names are case-sensitive (`describeimages` is not `DescribeImages`).
    public static func invalidAction(_ action: String) -> ECSError {
        ECSError(
            code: "InvalidAction.NotFound", httpStatus: 404,
            message: "Specified api is not found, please check your url and method. No action \"\(action)\" (names are case-sensitive).")
    }

    public static func unsupportedVersion(_ version: String) -> ECSError {
        ECSError(
            code: "InvalidAction.NotFound", httpStatus: 404,
            message: "Specified api is not found, please check your url and method. Version \"\(version)\" is not served; only 2014-05-26 is.")
    }

    public static let requestTooLarge = ECSError(
        code: "InvalidParameter", httpStatus: 413,
        message: "The request body is larger than the service accepts.")

    /// The body ended early or its chunked encoding was broken.
    public static let unreadableBody = ECSError(
        code: "InvalidParameter", httpStatus: 400, message: "The request body could not be read; it is malformed or incomplete.")

    // MARK: Authentication

    public static func signatureDoesNotMatch(serverStringToSign: String) -> ECSError {
        // The old Python SDK splits this message on ':' and crashes without one.
        ECSError(
            code: "SignatureDoesNotMatch", httpStatus: 400,
            message: "Specified signature is not matched with our calculation. server string to sign is:\(serverStringToSign)")
    }

    public static func incompleteSignature(_ detail: String) -> ECSError {
        ECSError(
            code: "IncompleteSignature", httpStatus: 400,
            message: "The request signature does not conform to Alibaba Cloud standards. \(detail)")
    }

    public static let accessKeyNotFound = ECSError(
        code: "InvalidAccessKeyId.NotFound", httpStatus: 404, message: "Specified access key is not found.")

    public static let accessKeyDisabled = ECSError(
        code: "Forbidden.AccessKeyDisabled", httpStatus: 403, message: "The AccessKey is disabled.")

    public static let timestampExpired = ECSError(
        code: "InvalidTimeStamp.Expired", httpStatus: 400, message: "Specified time stamp or date value is expired.")

    public static let illegalTimestamp = ECSError(
        code: "IllegalTimestamp", httpStatus: 400,
        message: "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.")

    public static let signatureNonceUsed = ECSError(
        code: "SignatureNonceUsed", httpStatus: 400, message: "Specified signature nonce was used already.")

    // MARK: Resources

    public static func regionNotFound(_ requested: String, offered: [String]) -> ECSError {
        ECSError(
            code: "InvalidRegionId.NotFound", httpStatus: 404,
            message: "The specified RegionId \"\(requested)\" does not exist. Regions here: \(offered.joined(separator: ", ")).")
    }

    public static let invalidImageOwnerAlias = ECSError(
        code: "InvalidImageOwnerAlias.ValueNotSupported", httpStatus: 400,
        message: "The specified ImageOwnerAlias is not supported.")

    public static let invalidOSType = ECSError(
        code: "InvalidOSType", httpStatus: 404, message: "The specified OSType is not valid.")

    public static let invalidArchitecture = ECSError(
        code: "InvalidArchitecture", httpStatus: 404, message: "The specified Architecture is not valid.")

    public static let invalidImageStatus = ECSError(
        code: "InvalidParameter", httpStatus: 400, message: "The specified parameter \"Status\" is not valid.")

    // MARK: Server side

    public static let internalError = ECSError(
        code: "InternalError", httpStatus: 500,
        message: "The request processing has failed due to some unknown error, exception or failure.")

    public static let serviceUnavailable = ECSError(
        code: "ServiceUnavailable", httpStatus: 503,
        message: "The request has failed due to a temporary failure of the server.")

    // MARK: Flow control

    /// An AccessKey used up its `--rate-limit` or `--action-rate-limit` bucket. ECS's common code: the old
    /// SDK retries exactly `Throttling` (not the `Throttling.User`/`.Api` variants) on its retryable actions.
    public static func throttled(retryAfterMilliseconds: Int) -> ECSError {
        ECSError(
            code: "Throttling", httpStatus: 400,
            message: "You have made too many requests within a short time; your request is denied due to request throttling.",
            retryAfterMilliseconds: retryAfterMilliseconds)
    }
}

extension ECSError {
    /// Not a failure: ECS answers a successful `DryRun=true` check with this 400.
    public static let dryRunOperation = ECSError(
        code: "DryRunOperation", httpStatus: 400, message: "Request validation has been passed with DryRun flag set.")
}
