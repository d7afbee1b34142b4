/// The rules of the "共享镜像" guide that decide who sees, uses, shares and deletes an image.
///
/// Pure functions over already loaded state, so every store engine applies them the same way inside its
/// own transaction. Seed rule numbers (S1–S15) refer to ecs-api.md §8.
public enum ImageRules {
    /// At most this many accounts per image (S4).
    public static let maxShareAccounts = 50
    /// At most this many `AddAccount.N` / `RemoveAccount.N` values are processed per call (S4).
    public static let maxAccountsPerCall = 10

    /// How `viewer` relates to `image`, or nil when the image does not exist for them (S3, S5, S8, S11, S12).
    ///
    /// `isSharedWithViewer` says whether the owner currently shares it with `viewer`; the region check is the
    /// caller's (images only exist in their own region).
    public static func visibility(of image: Image, to viewer: String, isSharedWithViewer: Bool) -> ImageOwnerAlias? {
        switch image.ownership {
        case .system: return .system
        case let .account(owner):
            if owner == viewer { return .own }
            return isSharedWithViewer || image.isPublic ? .others : nil
        }
    }

    /// Whether `viewer` may launch instances or replace a system disk from `image` (S1, S8, S11, S14):
    /// visible, and finished (Deprecated images stay usable).
    public static func canLaunch(_ image: Image, by viewer: String, isSharedWithViewer: Bool) -> Bool {
        visibility(of: image, to: viewer, isSharedWithViewer: isSharedWithViewer) != nil
            && (image.status == .available || image.status == .deprecated)
    }

    /// The owner's image for an owner-only call (sharing, deletion, attributes): only own custom images
    /// qualify (S3); others' and system images look like they do not exist in the caller's account, with
    /// `error` (sharing calls say why).
    public static func requireOwned(_ image: Image?, by caller: String, orThrow error: ECSError = .imageNotFound) throws(ECSError)
        -> Image
    {
        guard let image, case let .account(owner) = image.ownership else { throw error }
        try requireOwner(owner, is: caller, orThrow: error)
        return image
    }

    /// The same check when only the custom image's owner was read.
    public static func requireOwner(_ owner: String, is caller: String, orThrow error: ECSError = .imageNotFound) throws(ECSError) {
        guard owner == caller else { throw error }
    }

    /// The account changes a ModifyImageSharePermission call makes, all or nothing (S4, S10).
    ///
    /// - Parameters:
    ///   - current: the accounts the image is shared with now.
    ///   - existingAccounts: which of the named accounts exist.
    /// - Returns: the accounts to add and to remove; re-adding a present or removing an absent account is a no-op.
    public static func shareChange(
        image: Image, owner: String, add: [String], remove: [String], current: Set<String>,
        existingAccounts: Set<String>
    ) throws(ECSError) -> (add: [String], remove: [String]) {
        let add = Array(add.prefix(maxAccountsPerCall))
        let remove = Array(remove.prefix(maxAccountsPerCall))
        for account in add + remove {
            if account == owner { throw .shareWithSelf }
            guard existingAccounts.contains(account) else { throw .shareAccountNotFound(account) }
        }
        if !add.isEmpty {
            guard image.status == .available else { throw .incorrectImageStatus }
        }
        var seen = Set<String>()
        let toAdd = add.filter { !current.contains($0) && seen.insert($0).inserted }
        let removeSet = Set(remove)
        // Adding and removing the same account in one call applies the add first, then the remove.
        let toRemove = Array(removeSet.filter { current.contains($0) }).sorted()
        let finalAdds = toAdd.filter { !removeSet.contains($0) }
        guard current.count + finalAdds.count - toRemove.count <= maxShareAccounts else {
            throw .shareImageUserQuotaExceeded
        }
        return (finalAdds, toRemove)
    }

    /// Whether the owner may delete the image (S7): never while shared (not even with `Force`), and only with
    /// `Force` while the owner's own instances use it.
    ///
    /// Other accounts' instances made from the image while it was shared do not count: the owner cannot see
    /// them (the error points at DescribeInstances, which shows only the caller's), and once the image is
    /// unshared nothing the owner does could free it. Those instances keep running; their system disks can
    /// no longer be re-initialised (S9). Libcloud, footmark and `ali_image` never send `Force`.
    public static func checkDeletable(_ image: Image, usedByOwnerInstances: Bool, force: Bool, isBeingCopied: Bool) throws(ECSError) {
        if image.shareCount > 0 || image.isPublic { throw .imageUseShared }
        // A copy still being produced is cancelled with CancelCopyImage, not deleted.
        if image.status == .creating { throw .imageIsCreating }
        if isBeingCopied { throw .imageCopying }
        if usedByOwnerInstances && !force { throw .imageUsingByInstance }
    }

    /// Why a system disk cannot be re-initialised from its source image (S9, S11), or nil when it can.
    ///
    /// - Parameter image: the source image as the disk's owner can see it now (nil when deleted or unshared).
    public static func reInitFailure(sourceImageId: String, sourceOwner: String?, visibleImage: Image?, diskOwner: String)
        -> ECSError?
    {
        if visibleImage != nil { return nil }
        if let sourceOwner, sourceOwner != diskOwner { return .sharedImageDeleted }
        // The disk owner's own (or a public) image is gone.
        return .reInitImageMissing
    }
}

extension ImageRules {
    /// ModifyImageAttribute `Status`: only between Available and Deprecated, and never deprecating a shared
    /// image (it must be unshared first).
    public static func checkStatusChange(_ image: Image, to status: ImageStatus) throws(ECSError) {
        guard status == .available || status == .deprecated else { throw .invalidParameter("Status", "must be Available or Deprecated") }
        guard image.status == .available || image.status == .deprecated else { throw .incorrectImageStatus }
        if status == .deprecated, image.shareCount > 0 || image.isPublic { throw .imageUseShared }
    }

    /// Publishing as a community image needs a finished, non-deprecated image, like sharing does.
    public static func checkPublishable(_ image: Image) throws(ECSError) {
        guard image.status == .available else { throw .incorrectImageStatus }
    }
}

extension ImageRules {
    /// S2: only images an account owns in a region count toward its quota there; images shared with it never do.
    public static func checkQuota(ownedInRegion: Int, quota: Int) throws(ECSError) {
        guard ownedInRegion < quota else { throw .imageQuotaExceeded }
    }

    /// S5: the owner may copy an image to any region; a recipient only inside the image's region; nobody else.
    public static func checkCopyable(
        _ image: Image, by caller: String, isSharedWithCaller: Bool, to destinationRegionId: String
    ) throws(ECSError) {
        guard case let .account(owner) = image.ownership else { throw .imageNotFound }
        if owner != caller {
            guard isSharedWithCaller else { throw .imageNotFound }
            guard destinationRegionId == image.regionId else { throw .sameRegionOnly }
        }
        guard image.status == .available else { throw .incorrectImageStatus }
    }
}
