import Foundation
import ImageShareCore
import Testing

/// The rules of the seed guide "共享镜像" (ecs-api.md §8, S1–S15) as pure domain decisions.
@Suite("seed rules S1–S15")
struct SeedRuleTests {
    static let owner = "1111111111111111"
    static let friend = "2222222222222222"
    static let stranger = "3333333333333333"

    static func customImage(
        status: ImageStatus = .available, shareCount: Int = 0, isPublic: Bool = false, inUse: Bool = false,
        region: String = "cn-hangzhou"
    ) -> Image {
        var image = Image(
            id: "m-aaaaaaaaaaaaaaaaaaaa", regionId: region, ownership: .account(owner), name: "golden", description: "",
            status: status, osType: .linux, osName: "Ubuntu", osNameEn: "Ubuntu", platform: "Ubuntu",
            architecture: .x86_64, sizeGiB: 20, creationTime: Date(timeIntervalSince1970: 0),
            diskDeviceMappings: [])
        image.shareCount = shareCount
        image.isPublic = isPublic
        image.inUse = inUse
        return image
    }

    static let publicImage = PublicImageCatalogue(regions: .builtIn).images(in: "cn-hangzhou")[0]

    @Test("S1: a shared custom image becomes visible to and launchable by the recipient")
    func s1ShareMakesVisible() {
        let image = Self.customImage(shareCount: 1)
        #expect(ImageRules.visibility(of: image, to: Self.friend, isSharedWithViewer: true) == .others)
        #expect(ImageRules.canLaunch(image, by: Self.friend, isSharedWithViewer: true))
        #expect(ImageRules.visibility(of: image, to: Self.friend, isSharedWithViewer: false) == nil)
    }

    @Test("S2: only owned images count toward the quota")
    func s2QuotaCountsOwnedOnly() throws {
        try ImageRules.checkQuota(ownedInRegion: 99, quota: 100)
        #expect(throws: ECSError.imageQuotaExceeded) { try ImageRules.checkQuota(ownedInRegion: 100, quota: 100) }
        #expect(throws: ECSError.imageQuotaExceeded) { try ImageRules.checkQuota(ownedInRegion: 0, quota: 0) }
        #expect(ECSError.imageQuotaExceeded.httpStatus == 403)
    }

    @Test("S3: only your own custom images can be shared; shared-in, public and others' images look absent")
    func s3OwnImagesOnly() throws {
        let image = Self.customImage()
        #expect(try ImageRules.requireOwned(image, by: Self.owner) == image)
        #expect(throws: ECSError.imageNotFound) { try ImageRules.requireOwned(image, by: Self.friend) }
        #expect(throws: ECSError.imageNotFound) { try ImageRules.requireOwned(Self.publicImage, by: Self.owner) }
        #expect(throws: ECSError.imageNotFound) { try ImageRules.requireOwned(nil, by: Self.owner) }
        #expect(ECSError.imageNotFound.httpStatus == 404)
    }

    @Test("S4: at most 50 accounts per image, all or nothing, and only 10 accounts per call")
    func s4FiftyAccounts() throws {
        let image = Self.customImage()
        let current = Set((0..<45).map { String(4_000_000_000_000_000 + $0) })
        let six = (100..<106).map { String(4_000_000_000_000_000 + $0) }
        let known = current.union(six)
        #expect(throws: ECSError.shareImageUserQuotaExceeded) {
            try ImageRules.shareChange(image: image, owner: Self.owner, add: six, remove: [], current: current, existingAccounts: known)
        }
        // Removing one in the same call makes room.
        let change = try ImageRules.shareChange(
            image: image, owner: Self.owner, add: six, remove: [current.sorted()[0]], current: current, existingAccounts: known)
        #expect(change.add.count == 6)
        #expect(change.remove.count == 1)
        // Beyond the tenth value nothing is processed.
        let twelve = (200..<212).map { String(4_000_000_000_000_000 + $0) }
        let capped = try ImageRules.shareChange(
            image: image, owner: Self.owner, add: twelve, remove: [], current: [], existingAccounts: Set(twelve))
        #expect(capped.add == Array(twelve.prefix(10)))
        #expect(ECSError.shareImageUserQuotaExceeded.httpStatus == 403)
    }

    @Test("S5: sharing is per region; a recipient may copy only inside the image's region")
    func s5SameRegionOnly() throws {
        let image = Self.customImage(shareCount: 1, region: "cn-hangzhou")
        try ImageRules.checkCopyable(image, by: Self.friend, isSharedWithCaller: true, to: "cn-hangzhou")
        #expect(throws: ECSError.sameRegionOnly) {
            try ImageRules.checkCopyable(image, by: Self.friend, isSharedWithCaller: true, to: "cn-shanghai")
        }
        try ImageRules.checkCopyable(image, by: Self.owner, isSharedWithCaller: false, to: "cn-shanghai")
        #expect(throws: ECSError.imageNotFound) {
            try ImageRules.checkCopyable(image, by: Self.stranger, isSharedWithCaller: false, to: "cn-hangzhou")
        }
        #expect(throws: ECSError.imageNotFound) {
            try ImageRules.checkCopyable(Self.publicImage, by: Self.owner, isSharedWithCaller: false, to: "cn-hangzhou")
        }
    }

    @Test("S6: the security advice is advisory: an Available image is shareable without further checks")
    func s6AdvisoryOnly() throws {
        let change = try ImageRules.shareChange(
            image: Self.customImage(), owner: Self.owner, add: [Self.friend], remove: [], current: [],
            existingAccounts: [Self.friend])
        #expect(change.add == [Self.friend])
    }

    @Test("S7: a shared (or published) image cannot be deleted, not even with Force")
    func s7DeleteRefusedWhileShared() throws {
        for force in [false, true] {
            #expect(throws: ECSError.imageUseShared) {
                try ImageRules.checkDeletable(Self.customImage(shareCount: 1), usedByOwnerInstances: false, force: force, isBeingCopied: false)
            }
            #expect(throws: ECSError.imageUseShared) {
                try ImageRules.checkDeletable(Self.customImage(isPublic: true), usedByOwnerInstances: false, force: force, isBeingCopied: false)
            }
        }
        try ImageRules.checkDeletable(Self.customImage(), usedByOwnerInstances: false, force: false, isBeingCopied: false)
        #expect(throws: ECSError.imageUsingByInstance) {
            try ImageRules.checkDeletable(Self.customImage(inUse: true), usedByOwnerInstances: true, force: false, isBeingCopied: false)
        }
        try ImageRules.checkDeletable(Self.customImage(inUse: true), usedByOwnerInstances: true, force: true, isBeingCopied: false)
        // Only the owner's own instances hold it: a former recipient's do not.
        try ImageRules.checkDeletable(Self.customImage(inUse: true), usedByOwnerInstances: false, force: false, isBeingCopied: false)
        #expect(throws: ECSError.imageCopying) {
            try ImageRules.checkDeletable(Self.customImage(), usedByOwnerInstances: false, force: true, isBeingCopied: true)
        }
        #expect(ECSError.imageUseShared.httpStatus == 403)
    }

    @Test("S8: a deleted image cannot be launched or put on a system disk by anyone")
    func s8DeletedImageUnusable() {
        // A deleted image is simply not found any more: nothing to see, nothing to launch.
        #expect(throws: ECSError.imageNotFound) { try ImageRules.requireOwned(nil, by: Self.owner) }
        let unshared = Self.customImage()
        #expect(!ImageRules.canLaunch(unshared, by: Self.friend, isSharedWithViewer: false))
    }

    @Test("S9: re-initialising a disk whose shared image was deleted fails with SharedImageDeleted")
    func s9ReInitAfterDelete() {
        #expect(
            ImageRules.reInitFailure(sourceImageId: "m-x", sourceOwner: Self.owner, visibleImage: nil, diskOwner: Self.friend)
                == .sharedImageDeleted)
        #expect(ECSError.sharedImageDeleted.httpStatus == 403)
        // The owner's own deleted image has its own code.
        #expect(
            ImageRules.reInitFailure(sourceImageId: "m-x", sourceOwner: Self.owner, visibleImage: nil, diskOwner: Self.owner)
                == .reInitImageMissing)
        #expect(
            ImageRules.reInitFailure(
                sourceImageId: "m-x", sourceOwner: Self.owner, visibleImage: Self.customImage(), diskOwner: Self.friend) == nil)
    }

    @Test("S10: shares name existing accounts other than yourself")
    func s10AccountsByID() {
        let image = Self.customImage()
        #expect(throws: ECSError.shareAccountNotFound(Self.stranger)) {
            try ImageRules.shareChange(image: image, owner: Self.owner, add: [Self.stranger], remove: [], current: [], existingAccounts: [])
        }
        #expect(throws: ECSError.shareAccountNotFound("12")) {
            try ImageRules.shareChange(image: image, owner: Self.owner, add: [], remove: ["12"], current: [], existingAccounts: [])
        }
        #expect(throws: ECSError.shareWithSelf) {
            try ImageRules.shareChange(
                image: image, owner: Self.owner, add: [Self.owner], remove: [], current: [], existingAccounts: [Self.owner])
        }
        #expect(ECSError.shareWithSelf.code == "InvalidAccount.Forbbiden")
        #expect(ECSError.shareAccountNotFound("1").httpStatus == 404)
    }

    @Test("S11: after unsharing, the recipient can neither see, launch nor re-initialise from the image")
    func s11Unshare() throws {
        let image = Self.customImage(shareCount: 1)
        let change = try ImageRules.shareChange(
            image: image, owner: Self.owner, add: [], remove: [Self.friend], current: [Self.friend],
            existingAccounts: [Self.friend])
        #expect(change.remove == [Self.friend])
        #expect(ImageRules.visibility(of: image, to: Self.friend, isSharedWithViewer: false) == nil)
        #expect(!ImageRules.canLaunch(image, by: Self.friend, isSharedWithViewer: false))
        #expect(
            ImageRules.reInitFailure(sourceImageId: image.id, sourceOwner: Self.owner, visibleImage: nil, diskOwner: Self.friend)
                == .sharedImageDeleted)
    }

    @Test("S12: the recipient sees the image as someone else's; the owner as its own")
    func s12RecipientView() {
        let image = Self.customImage(shareCount: 1)
        #expect(ImageRules.visibility(of: image, to: Self.friend, isSharedWithViewer: true) == .others)
        #expect(ImageRules.visibility(of: image, to: Self.owner, isSharedWithViewer: false) == .own)
        #expect(ImageRules.visibility(of: Self.publicImage, to: Self.friend, isSharedWithViewer: false) == .system)
        // Community images are visible to every account of the region.
        #expect(ImageRules.visibility(of: Self.customImage(isPublic: true), to: Self.stranger, isSharedWithViewer: false) == .others)
    }

    @Test("S13: re-adding a present account and removing an absent one change nothing")
    func s13Idempotent() throws {
        let change = try ImageRules.shareChange(
            image: Self.customImage(), owner: Self.owner, add: [Self.friend, Self.friend], remove: [Self.stranger],
            current: [Self.friend], existingAccounts: [Self.friend, Self.stranger])
        #expect(change.add.isEmpty)
        #expect(change.remove.isEmpty)
    }

    @Test("S14: recipients launch from shared images; Deprecated images stay launchable, unfinished ones do not")
    func s14Launch() {
        #expect(ImageRules.canLaunch(Self.customImage(status: .deprecated), by: Self.owner, isSharedWithViewer: false))
        #expect(!ImageRules.canLaunch(Self.customImage(status: .creating), by: Self.owner, isSharedWithViewer: false))
        #expect(ImageRules.canLaunch(Self.publicImage, by: Self.stranger, isSharedWithViewer: false))
    }

    @Test("S15: account IDs are 16-digit aliyunUids")
    func s15AccountIDs() {
        #expect(Account.isWellFormedID(IdentifierGenerator().accountID()))
        #expect(!Account.isWellFormedID("acs:ram::123"))
    }

    @Test("images that are not Available cannot gain shares, be published or be deprecated while shared")
    func statusRules() throws {
        #expect(throws: ECSError.incorrectImageStatus) {
            try ImageRules.shareChange(
                image: Self.customImage(status: .creating), owner: Self.owner, add: [Self.friend], remove: [], current: [],
                existingAccounts: [Self.friend])
        }
        #expect(throws: ECSError.incorrectImageStatus) {
            try ImageRules.shareChange(
                image: Self.customImage(status: .deprecated), owner: Self.owner, add: [Self.friend], remove: [], current: [],
                existingAccounts: [Self.friend])
        }
        // Removing still works on a deprecated image.
        _ = try ImageRules.shareChange(
            image: Self.customImage(status: .deprecated), owner: Self.owner, add: [], remove: [Self.friend],
            current: [Self.friend], existingAccounts: [Self.friend])
        #expect(throws: ECSError.incorrectImageStatus) { try ImageRules.checkPublishable(Self.customImage(status: .deprecated)) }
        #expect(throws: ECSError.imageUseShared) { try ImageRules.checkStatusChange(Self.customImage(shareCount: 2), to: .deprecated) }
        try ImageRules.checkStatusChange(Self.customImage(), to: .deprecated)
        #expect(throws: ECSError.self) { try ImageRules.checkStatusChange(Self.customImage(), to: .creating) }
    }

    @Test("image names follow the documented format")
    func names() {
        #expect(TextRules.isValidImageName("golden-image_1.0:x"))
        #expect(TextRules.isValidImageName("镜像一"))
        for bad in ["a", "1abc", "aliyun-x", "acs:x", "http://x", "has space", String(repeating: "a", count: 129)] {
            #expect(!TextRules.isValidImageName(bad), "\(bad)")
        }
        #expect(TextRules.isValidDescription("ok"))
        #expect(!TextRules.isValidDescription("https://x"))
    }
}
