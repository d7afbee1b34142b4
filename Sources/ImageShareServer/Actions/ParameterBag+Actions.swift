import ECSWire
import Foundation
import ImageShareCore

/// Parameters several actions share: tags, ClientToken and DryRun.
extension ParameterBag {
    /// `Tag.N.Key` / `Tag.N.Value` (N 1…20; the legacy lower-case `Tag.N.key` too). Values may be omitted
    /// when `valuesOptional` (filters); keys must be unique.
    func tags(valuesOptional: Bool = false) throws(ECSError) -> [(key: String, value: String?)] {
        var tags: [(key: String, value: String?)] = []
        var index = 1
        while let key = string("Tag.\(index).Key") ?? string("Tag.\(index).key") {
            guard index <= 20 else { throw .invalidTagCount }
            let value = string("Tag.\(index).Value") ?? string("Tag.\(index).value")
            guard TextRules.isValidTagKey(key) else { throw .invalidTagKey }
            if let value, !TextRules.isValidTagValue(value) { throw .invalidTagValue }
            guard !tags.contains(where: { $0.key == key }) else { throw .duplicateTagKey }
            tags.append((key, valuesOptional ? value : value ?? ""))
            index += 1
        }
        if string("Tag.21.Key") != nil { throw .invalidTagCount }
        return tags
    }

    /// Tags of a resource being created.
    func resourceTags() throws(ECSError) -> [ResourceTag] {
        try tags().map { ResourceTag(key: $0.key, value: $0.value ?? "") }
    }

    /// `ClientToken` scoped to the caller and action, with a fingerprint of every business parameter.
    func idempotencyKey(for request: ActionRequest) throws(ECSError) -> IdempotencyKey? {
        guard let token = string("ClientToken") else { return nil }
        guard token.utf8.count <= 64, token.allSatisfy(\.isASCII) else {
            throw .invalidParameter("ClientToken", "at most 64 ASCII characters")
        }
        return IdempotencyKey(
            accountId: request.caller.accountId, action: request.action, token: token, fingerprint: businessFingerprint)
    }

    /// `DryRun=true` on a read: every check so far passed, so answer `DryRunOperation` instead of acting.
    func checkDryRun() throws(ECSError) {
        if try bool("DryRun") == true { throw .dryRunOperation }
    }

    /// Runs a store write, as a dry run when `DryRun=true`: the store checks everything and changes nothing.
    func writing<T: Sendable>(_ write: () async throws -> T) async throws -> T {
        guard try bool("DryRun") == true else { return try await write() }
        _ = try await DryRun.$isRequested.withValue(true) { try await write() }
        throw ECSError.dryRunOperation
    }
}

extension ParameterBag {
    /// A text parameter that must follow `rule` (one of `TextRules`), or nil when absent.
    func text(_ name: String, _ rule: (String) -> Bool, orThrow error: ECSError) throws(ECSError) -> String? {
        guard let value = string(name) else { return nil }
        guard rule(value) else { throw error }
        return value
    }

    /// An image, family or snapshot name.
    func imageName(_ name: String) throws(ECSError) -> String? {
        try text(name, TextRules.isValidImageName, orThrow: .imageNameMalformed)
    }

    /// A `Description` of an image, instance or snapshot.
    func description(_ name: String) throws(ECSError) -> String? {
        try text(name, TextRules.isValidDescription, orThrow: .descriptionMalformed)
    }

    /// A name filter of a Describe call (`ImageName`, `InstanceName`).
    func nameFilter(_ name: String) throws(ECSError) -> String? {
        try text(name, TextRules.isValidNameFilter, orThrow: .invalidParameter(name, "1 to \(TextRules.maxNameLength) characters"))
    }

    /// The ID of a resource this service does not model yet (`VSwitchId`, `SecurityGroupId`).
    func foreignId(_ name: String) throws(ECSError) -> String? {
        try text(name, { $0.count <= TextRules.maxForeignIdLength }, orThrow: .invalidParameter(name, "at most \(TextRules.maxForeignIdLength) characters"))
    }

    /// An ID-list filter (`InstanceIds`, `DiskIds`, `SnapshotIds`, in any form `idArray` accepts) of at most 100 IDs.
    func idList(_ name: String) throws(ECSError) -> [String]? {
        guard let ids = try idArray(name) else { return nil }
        guard ids.count <= 100 else { throw .invalidParameter(name, "at most 100 IDs") }
        return ids
    }
}

extension PageRequest {
    /// The paging members of a Describe* response, then its collection (`Instances.Instance[]`, …).
    func response(totalCount: Int, _ name: String, _ item: String, _ items: [WireValue]) -> [(String, WireValue)] {
        [
            ("TotalCount", .int(totalCount)),
            ("PageNumber", .int(number)),
            ("PageSize", .int(size)),
            ("NextToken", .string(nextToken(totalCount: totalCount))),
            (name, .collection(item, items)),
        ]
    }
}
