import Foundation

/// Tags on an account's own resources. Every resource named must be the caller's own in the region (an
/// image shared with the caller is not); otherwise nothing changes and the call fails with
/// `InvalidResourceId.NotFound`.
public protocol TagStore: Sendable {
    /// Adds or replaces `tags` on every resource, all or nothing.
    func tagResources(_ type: TaggedResourceType, ids: [String], regionId: String, ownerId: String, tags: [ResourceTag]) async throws

    /// Removes the tags with `keys` (every tag when `keys` is nil) from every resource.
    func untagResources(_ type: TaggedResourceType, ids: [String], regionId: String, ownerId: String, keys: [String]?) async throws

    /// The tags of the caller's resources of `type`: those named (all when `ids` is nil) that carry every tag
    /// in `having` (a nil value matches any value), ordered by resource and key, one page after `offset`.
    func tagAssignments(
        _ type: TaggedResourceType, ids: [String]?, having: [(key: String, value: String?)], regionId: String, ownerId: String,
        offset: Int, limit: Int
    ) async throws -> [TagAssignment]
}
