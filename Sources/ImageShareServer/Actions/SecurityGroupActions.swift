import ECSWire
import Foundation
import ImageShareCore

/// Security groups: Create/Describe/Modify/DeleteSecurityGroup, their rules (Authorize/Revoke, ingress and
/// egress) and membership (Join/LeaveSecurityGroup).
struct SecurityGroupActions: Sendable {
    let regions: RegionCatalogue
    let store: any SecurityGroupStore
    let identifiers: IdentifierGenerator

    func register(in registry: inout ActionRegistry) {
        registry.register("CreateSecurityGroup", createSecurityGroup)
        registry.register("DescribeSecurityGroups", describeSecurityGroups)
        registry.register("DescribeSecurityGroupAttribute", describeSecurityGroupAttribute)
        registry.register("ModifySecurityGroupAttribute", modifySecurityGroupAttribute)
        registry.register("DeleteSecurityGroup", deleteSecurityGroup)
        registry.register("AuthorizeSecurityGroup") { try await authorize($0, .ingress) }
        registry.register("AuthorizeSecurityGroupEgress") { try await authorize($0, .egress) }
        registry.register("RevokeSecurityGroup") { try await revoke($0, .ingress) }
        registry.register("RevokeSecurityGroupEgress") { try await revoke($0, .egress) }
        registry.register("JoinSecurityGroup", joinSecurityGroup)
        registry.register("LeaveSecurityGroup", leaveSecurityGroup)
    }

    /// Name and description are optional (Libcloud sends neither), as on ECS.
    @Sendable func createSecurityGroup(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        try parameters.refuseUnsupported(["ResourceGroupId"])
        if try parameters.bool("ServiceManaged") == true { throw ECSError.unsupportedParameter("ServiceManaged") }
        let group = NewSecurityGroup(
            regionId: region.id, ownerId: request.caller.accountId,
            name: try parameters.text("SecurityGroupName", TextRules.isValidResourceName, orThrow: .securityGroupNameMalformed) ?? "",
            description: try parameters.description("Description") ?? "", vpcId: try parameters.foreignId("VpcId") ?? "",
            type: try parameters.oneOf("SecurityGroupType", ["normal", "enterprise"], orThrow: .invalidSecurityGroupType) ?? "normal",
            tags: try parameters.resourceTags())
        let key = try parameters.idempotencyKey(for: request)
        let id = try await parameters.writing { try await store.createSecurityGroup(group, idempotency: key, now: request.now) }
        return [("SecurityGroupId", .string(id))]
    }

    @Sendable func describeSecurityGroups(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        let region = try parameters.region(in: regions)
        var filter = SecurityGroupFilter()
        var ids = try parameters.idList("SecurityGroupIds")
        if let id = try parameters.foreignId("SecurityGroupId") { ids = (ids ?? [id]).filter { $0 == id } }
        filter.ids = ids
        filter.name = try parameters.nameFilter("SecurityGroupName")
        filter.nameIsFuzzy = try parameters.bool("FuzzyQuery") ?? false
        filter.vpcId = try parameters.foreignId("VpcId")
        filter.type = try parameters.oneOf("SecurityGroupType", ["normal", "enterprise"], orThrow: .invalidSecurityGroupType)
        filter.networkType = try parameters.oneOf("NetworkType", ["vpc", "classic"])
        filter.tags = try parameters.tags(valuesOptional: true)
        _ = try parameters.bool("IsQueryEcsCount")  // the counts are always answered
        if try !parameters.sharedValueMatches("ServiceManaged", false) || parameters.anyGiven(["ResourceGroupId"]) {
            filter.ids = []
        }
        let page = try parameters.page(defaultSize: 10, maxSize: 50, tokens: true)
        try parameters.checkDryRun()
        let (groups, total) = try await store.securityGroups(
            in: region.id, ownerId: request.caller.accountId, filter: filter, offset: page.offset, limit: page.size)
        return [("RegionId", .string(region.id))]
            + page.response(totalCount: total, "SecurityGroups", "SecurityGroup", groups.map(SecurityGroupPresenter.value))
    }

    /// Answers the group's own members at the top level, its rules under `Permissions`.
    @Sendable func describeSecurityGroupAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let groupId = try parameters.required("SecurityGroupId")
        let direction = try parameters.oneOf("Direction", ["ingress", "egress", "all"]) ?? "all"
        let nicType = try parameters.oneOf("NicType", ["internet", "intranet"], orThrow: .invalidNicType)
        _ = parameters.string("Attribute")  // selects extra output; everything is answered
        let page = try parameters.page(defaultSize: 1_000, maxSize: 1_000, tokens: true)
        guard let (group, rules) = try await store.securityGroup(id: groupId, ownerId: request.caller.accountId) else {
            throw ECSError.securityGroupNotFound
        }
        // A VPC group's rules all apply to the internal interface, so NicType narrows only classic groups.
        let selected = rules.filter { rule in
            (direction == "all" || rule.direction.rawValue == direction) && (nicType == nil || !group.vpcId.isEmpty || rule.nicType == nicType)
        }
        let shown = Array(selected.dropFirst(page.offset).prefix(page.size))
        return [
            ("RegionId", .string(group.regionId)),
            ("SecurityGroupId", .string(group.id)),
            ("SecurityGroupName", .string(group.name)),
            ("Description", .string(group.description)),
            ("VpcId", .string(group.vpcId)),
            ("InnerAccessPolicy", .string("Accept")),
            ("NextToken", .string(page.nextToken(totalCount: selected.count))),
            ("Permissions", .collection("Permission", shown.map { SecurityGroupPresenter.permission($0, in: group) })),
        ]
    }

    @Sendable func modifySecurityGroupAttribute(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let groupId = try parameters.required("SecurityGroupId")
        let name = try parameters.text("SecurityGroupName", TextRules.isValidResourceName, orThrow: .securityGroupNameMalformed)
        let description = try parameters.description("Description")
        try await parameters.writing {
            try await store.modifySecurityGroup(id: groupId, ownerId: request.caller.accountId, name: name, description: description)
        }
        return []
    }

    @Sendable func deleteSecurityGroup(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let groupId = try parameters.required("SecurityGroupId")
        try await parameters.writing { try await store.deleteSecurityGroup(id: groupId, ownerId: request.caller.accountId) }
        return []
    }

    private func authorize(_ request: ActionRequest, _ direction: RuleDirection) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let groupId = try parameters.required("SecurityGroupId")
        let drafts = try parameters.ruleDrafts(direction)
        try await parameters.writing {
            try await store.authorize(groupId: groupId, ownerId: request.caller.accountId, now: request.now) { group in
                try drafts.map { try SecurityGroupRules.rule($0, in: group, id: identifiers.resourceID(prefix: "sgr-"), now: request.now) }
            }
        }
        return []
    }

    /// Rules are named by ID (`SecurityGroupRuleId.N`) or by what they say; naming none that exists is not
    /// an error, as on ECS.
    private func revoke(_ request: ActionRequest, _ direction: RuleDirection) async throws -> [(String, WireValue)] {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        let groupId = try parameters.required("SecurityGroupId")
        let ruleIds = parameters.indexedList("SecurityGroupRuleId")
        let drafts = ruleIds.isEmpty ? try parameters.ruleDrafts(direction) : []
        try await parameters.writing {
            try await store.revoke(groupId: groupId, ownerId: request.caller.accountId) { group, rules in
                let wanted = try drafts.map { try SecurityGroupRules.rule($0, in: group, id: "", now: request.now) }
                return rules.filter { rule in
                    rule.direction == direction
                        && (ruleIds.contains(rule.id) || wanted.contains { $0.sameTraffic(as: rule) })
                }.map(\.id)
            }
        }
        return []
    }

    @Sendable func joinSecurityGroup(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let (instanceId, groupId) = try membership(request)
        try await request.parameters.writing {
            try await store.joinSecurityGroup(instanceId: instanceId, groupId: groupId, ownerId: request.caller.accountId)
        }
        return []
    }

    @Sendable func leaveSecurityGroup(_ request: ActionRequest) async throws -> [(String, WireValue)] {
        let (instanceId, groupId) = try membership(request)
        try await request.parameters.writing {
            try await store.leaveSecurityGroup(instanceId: instanceId, groupId: groupId, ownerId: request.caller.accountId)
        }
        return []
    }

    /// Network interfaces are not modelled: only instances join and leave.
    private func membership(_ request: ActionRequest) throws(ECSError) -> (instanceId: String, groupId: String) {
        let parameters = request.parameters
        try parameters.optionalRegion(in: regions)
        try parameters.refuseUnsupported(["NetworkInterfaceId"])
        return (try parameters.required("InstanceId"), try parameters.required("SecurityGroupId"))
    }
}

extension ParameterBag {
    /// The rules of an Authorize or Revoke call: the flat parameters (`IpProtocol`, `PortRange`, …) and the
    /// newer `Permissions.N.*` form, at most 100 of those.
    func ruleDrafts(_ direction: RuleDirection) throws(ECSError) -> [SecurityGroupRules.Draft] {
        let peer = direction == .ingress ? "Source" : "Dest"
        func draft(_ prefix: String) throws(ECSError) -> SecurityGroupRules.Draft {
            var draft = SecurityGroupRules.Draft(direction: direction)
            draft.ipProtocol = string(prefix + "IpProtocol")
            draft.portRange = string(prefix + "PortRange")
            draft.sourcePortRange = string(prefix + "SourcePortRange")
            draft.cidrIp = string(prefix + peer + "CidrIp")
            draft.groupId = string(prefix + peer + "GroupId")
            draft.policy = string(prefix + "Policy")
            draft.priority = string(prefix + "Priority")
            draft.nicType = string(prefix + "NicType")
            draft.description = string(prefix + "Description")
            for name in ["Ipv6\(peer)CidrIp", "\(peer)PrefixListId", "\(peer)GroupOwnerAccount", "\(peer)GroupOwnerId", "PortRangeListId"]
            where string(prefix + name) != nil {
                throw .unsupportedParameter(prefix + name)
            }
            if direction == .ingress, string(prefix + "DestCidrIp") != nil { throw .unsupportedParameter(prefix + "DestCidrIp") }
            return draft
        }
        var drafts: [SecurityGroupRules.Draft] = []
        var index = 1
        while hasValue(withPrefix: "Permissions.\(index).") {
            guard index <= 100 else { throw .invalidParameter("Permissions", "at most 100 rules in one call") }
            drafts.append(try draft("Permissions.\(index)."))
            index += 1
        }
        if drafts.isEmpty { drafts.append(try draft("")) }
        return drafts
    }

    /// `RegionId`, where an action does not need it: when given it must name a region this server offers.
    func optionalRegion(in catalogue: RegionCatalogue) throws(ECSError) {
        if string("RegionId") != nil { _ = try region(in: catalogue) }
    }
}

/// Renders security groups and their rules.
enum SecurityGroupPresenter {
    static func value(_ group: SecurityGroup) -> WireValue {
        .object([
            ("SecurityGroupId", .string(group.id)),
            ("SecurityGroupName", .string(group.name)),
            ("Description", .string(group.description)),
            ("VpcId", .string(group.vpcId)),
            ("SecurityGroupType", .string(group.type)),
            ("CreationTime", .string(ECSTimestamp.format(group.creationTime).dropLast(4) + "Z")),
            ("ResourceGroupId", .string("")),
            ("ServiceManaged", .bool(false)),
            ("ServiceID", .int(0)),
            ("EcsCount", .int(group.instanceCount)),
            ("AvailableInstanceAmount", .int(max(0, 2_000 - group.instanceCount))),
            ("RuleCount", .int(group.ruleCount)),
            ("GroupToGroupRuleCount", .int(0)),
            ("Tags", .collection("Tag", group.tags.map(TagPresenter.value))),
        ])
    }

    /// One rule; ECS answers `Priority` as a string.
    static func permission(_ rule: SecurityGroupRule, in group: SecurityGroup) -> WireValue {
        let ingress = rule.direction == .ingress
        return .object([
            ("Direction", .string(rule.direction.rawValue)),
            ("SecurityGroupRuleId", .string(rule.id)),
            ("IpProtocol", .string(rule.ipProtocol)),
            ("PortRange", .string(rule.portRange)),
            ("SourcePortRange", .string(rule.sourcePortRange)),
            ("SourceCidrIp", .string(ingress ? rule.cidrIp : "")),
            ("SourceGroupId", .string(ingress ? rule.groupId : "")),
            ("SourceGroupName", .string("")),
            ("SourceGroupOwnerAccount", .string(ingress && !rule.groupId.isEmpty ? group.ownerId : "")),
            ("SourcePrefixListId", .string("")),
            ("SourcePrefixListName", .string("")),
            ("DestCidrIp", .string(ingress ? "" : rule.cidrIp)),
            ("DestGroupId", .string(ingress ? "" : rule.groupId)),
            ("DestGroupName", .string("")),
            ("DestGroupOwnerAccount", .string(!ingress && !rule.groupId.isEmpty ? group.ownerId : "")),
            ("DestPrefixListId", .string("")),
            ("DestPrefixListName", .string("")),
            ("Ipv6SourceCidrIp", .string("")),
            ("Ipv6DestCidrIp", .string("")),
            ("Policy", .string(rule.policy == "accept" ? "Accept" : "Drop")),
            ("Priority", .string(String(rule.priority))),
            ("NicType", .string(rule.nicType)),
            ("Description", .string(rule.description)),
            ("CreateTime", .string(ECSTimestamp.format(rule.creationTime).dropLast(4) + "Z")),
            ("PortRangeListId", .string("")),
            ("PortRangeListName", .string("")),
        ])
    }
}
