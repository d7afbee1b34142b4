/// The codes of the security-group calls and of tagging.
extension ECSError {
    // MARK: Security groups

    public static let securityGroupNotFound = ECSError(
        code: "InvalidSecurityGroupId.NotFound", httpStatus: 404, message: "The specified SecurityGroupId does not exist.")

    public static let securityGroupInUse = ECSError(
        code: "DependencyViolation", httpStatus: 403,
        message: "There is still instance(s) in the specified security group, or another group's rules refer to it.")

    public static let securityGroupNameMalformed = ECSError(
        code: "InvalidSecurityGroupName.Malformed", httpStatus: 400, message: "Specified security group name is not valid.")

    public static let securityGroupQuotaExceeded = ECSError(
        code: "QuotaExceed.SecurityGroup", httpStatus: 403,
        message: "The number of security groups in this region has reached the quota of \(SecurityGroupRules.maxGroupsPerRegion).")

    public static let invalidSecurityGroupType = ECSError(
        code: "InvalidSecurityGroupType.NotSupported", httpStatus: 400,
        message: "The specified SecurityGroupType is not supported: normal or enterprise.")

    public static let invalidIpProtocol = ECSError(
        code: "InvalidIpProtocol.Malformed", httpStatus: 400,
        message: "The specified IpProtocol is not valid: one of TCP, UDP, ICMP, ICMPv6, GRE, ALL.")

    public static let invalidPortRange = ECSError(
        code: "InvalidPortRange.Malformed", httpStatus: 400,
        message: "The specified PortRange is not valid: from/to with 1 <= from <= to <= 65535 for TCP and UDP, -1/-1 otherwise.")

    public static let invalidSourceCidrIp = ECSError(
        code: "InvalidSourceCidrIp.Malformed", httpStatus: 400, message: "The specified SourceCidrIp is not a valid IPv4 address or CIDR block.")

    public static let invalidDestCidrIp = ECSError(
        code: "InvalidDestCidrIp.Malformed", httpStatus: 400, message: "The specified DestCidrIp is not a valid IPv4 address or CIDR block.")

    public static func missingRulePeer(_ side: String) -> ECSError {
        ECSError(
            code: "MissingParameter", httpStatus: 400,
            message: "The input parameter \"\(side)CidrIp\" or \"\(side)GroupId\" that is mandatory for processing this request is not supplied.")
    }

    public static let invalidSecurityGroupPolicy = ECSError(
        code: "InvalidPolicy.Malformed", httpStatus: 400, message: "The specified Policy is not valid: accept or drop.")

    public static let invalidSecurityGroupPriority = ECSError(
        code: "InvalidPriority.Malformed", httpStatus: 400, message: "The specified Priority is not valid: an integer from 1 to 100.")

    public static let invalidNicType = ECSError(
        code: "InvalidNicType.ValueNotSupported", httpStatus: 400, message: "The specified NicType is not valid: internet or intranet.")

    public static let securityGroupRuleLimitExceeded = ECSError(
        code: "AuthorizationLimitExceed", httpStatus: 400,
        message: "The limit of authorization records in the security group reaches (\(SecurityGroupRules.maxRulesPerGroup)).")

    public static let instanceAlreadyInSecurityGroup = ECSError(
        code: "InvalidInstanceId.AlreadyExists", httpStatus: 403,
        message: "The specified instance already exists in the specified security group.")

    public static let instanceSecurityGroupLimitExceeded = ECSError(
        code: "InstanceSecurityGroupLimitExceeded", httpStatus: 400,
        message: "Exceeding the allowed amount of security groups that an instance can be in (\(SecurityGroupRules.maxGroupsPerInstance)).")

    public static let instanceLastSecurityGroup = ECSError(
        code: "InstanceLastSecurityGroup", httpStatus: 403,
        message: "The specified security group is the last security group for the instance.")

    public static let instanceNotInSecurityGroup = ECSError(
        code: "InvalidSecurityGroupAssociation.NotFound", httpStatus: 404,
        message: "The specified instance is not in the specified security group.")

    // MARK: Tags

    public static let invalidResourceType = ECSError(
        code: "InvalidResourceType.NotFound", httpStatus: 404,
        message: "The specified ResourceType is not found: one of instance, disk, snapshot, image, securitygroup.")

    public static let taggedResourceNotFound = ECSError(
        code: "InvalidResourceId.NotFound", httpStatus: 404, message: "The specified ResourceIds are not found in our records.")

    public static let tagQuotaExceeded = ECSError(
        code: "InvalidTagCount", httpStatus: 400,
        message: "The specified tags are beyond the permitted range: a resource has at most 20 tags.")
}
