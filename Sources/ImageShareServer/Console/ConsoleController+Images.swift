import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore

/// The images page (custom, public, shared and community tabs) and what can be done to a custom image:
/// share and unshare, edit, copy, delete.
extension ConsoleController {
    /// The images page's tabs, by query value, with the DescribeImages filter each one lists.
    enum ImageTab: String, CaseIterable {
        case custom, `public`, shared, community

        var filter: ImageFilter {
            var filter = ImageFilter()
            switch self {
            case .custom:
                filter.ownerAlias = .own
                filter.statuses = Set(ImageStatus.allCases)
            case .public:
                filter.ownerAlias = .system
            case .shared:
                filter.ownerAlias = .others
                filter.statuses = [.available, .deprecated]
            case .community:
                filter.communityOnly = true
            }
            return filter
        }

        var labelKey: String { "tab." + rawValue }
    }

    static let imagesPerPage = 20

    func addImageRoutes(to router: Router<ImageShareRequestContext>) {
        page(router, "/console/images") { visit, _ in try await imagesPage(visit) }

        page(router, "/console/images/:id/share") { visit, context in
            try await withOwnImage(visit, context) { image in try await sharePage(visit, image) }
        }
        form(router, "/console/images/:id/share") { visit, context in
            try await withOwnImage(visit, context) { image in
                let account = (visit.form["account"] ?? "").trimmingCharacters(in: .whitespaces)
                guard !account.isEmpty else {
                    return try await sharePage(visit, image, account: account, fieldError: visit.t("enterAccountId"), status: .badRequest)
                }
                let before = try await catalogue.store.sharePermissions(
                    imageId: image.id, regionId: image.regionId, ownerId: visit.accountId, offset: 0, limit: ImageRules.maxShareAccounts)
                if let error = await attempt("ModifyImageSharePermission", [("ImageId", image.id), ("AddAccount.1", account)], for: visit) {
                    let message = ConsoleText.message(for: error, language: visit.language, value: account)
                    return try await sharePage(visit, image, account: account, fieldError: message, status: Self.status(of: error))
                }
                let again = before.accounts.contains { $0.accountId == account }
                return Self.redirect("/console/images/\(image.id)/share?done=\(again ? "alreadyShared" : "shared")")
            }
        }
        form(router, "/console/images/:id/unshare") { visit, context in
            try await withOwnImage(visit, context) { image in
                if let error = await attempt(
                        "ModifyImageSharePermission", [("ImageId", image.id), ("RemoveAccount.1", visit.form["account"] ?? "")], for: visit) {
                    return try await sharePage(
                        visit, image, fieldError: ConsoleText.message(for: error, language: visit.language), status: Self.status(of: error))
                }
                return Self.redirect("/console/images/\(image.id)/share?done=unshared")
            }
        }

        page(router, "/console/images/:id/edit") { visit, context in
            try await withOwnImage(visit, context) { image in editPage(visit, image) }
        }
        form(router, "/console/images/:id/edit") { visit, context in
            try await withOwnImage(visit, context) { image in
                let name = visit.form["name"] ?? "", description = visit.form["description"] ?? ""
                if let error = await attempt(
                        "ModifyImageAttribute", [("ImageId", image.id), ("ImageName", name), ("Description", description)], for: visit) {
                    return editPage(visit, image, name: name, description: description, error: error)
                }
                return Self.redirect("/console/images?tab=custom&done=edited")
            }
        }

        page(router, "/console/images/:id/copy") { visit, context in
            try await withVisibleImage(visit, context) { image in copyPage(visit, image) }
        }
        form(router, "/console/images/:id/copy") { visit, context in
            try await withVisibleImage(visit, context) { image in
                let destination = visit.form["destination"] ?? region(of: visit).id
                let name = visit.form["name"] ?? "", description = visit.form["description"] ?? ""
                if let error = await attempt(
                        "CopyImage",
                        [
                            ("ImageId", image.id), ("DestinationRegionId", destination), ("DestinationImageName", name),
                            ("DestinationDescription", description),
                        ], for: visit) {
                    return copyPage(visit, image, destination: destination, name: name, description: description, error: error)
                }
                return Self.redirect("/console/images?tab=custom&done=copied")
            }
        }

        page(router, "/console/images/:id/delete") { visit, context in
            try await withOwnImage(visit, context) { image in deletePage(visit, image) }
        }
        form(router, "/console/images/:id/delete") { visit, context in
            try await withOwnImage(visit, context) { image in
                let force = visit.form["force"] == "true"
                if let error = await attempt("DeleteImage", [("ImageId", image.id), ("Force", force ? "true" : "")], for: visit) {
                    return deletePage(visit, image, force: force, error: error)
                }
                return Self.redirect("/console/images?tab=custom&done=deleted")
            }
        }
    }

    // MARK: The images page

    func imagesPage(_ visit: Visit, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let tab = visit.query("tab").flatMap(ImageTab.init(rawValue:)) ?? .custom
        var filter = tab.filter
        var name = visit.query("name") ?? ""
        var error = error
        var status = status
        if !name.isEmpty {
            if TextRules.isValidNameFilter(name), !RequestLimits.containsControlCharacter(name) {
                filter.nameContains = name
            } else {
                error = visit.t("badNameFilter")
                status = .badRequest
                name = ""
            }
        }
        let number = Self.pageNumber(visit)
        let (images, total) = try await catalogue.images(
            in: region(of: visit).id, matching: filter, viewer: visit.accountId,
            page: PageRequest(number: number, size: Self.imagesPerPage), now: configuration.now())
        let page = ImagesPage(
            tab: tab.rawValue,
            tabs: ImageTab.allCases.map {
                Tab(key: $0.rawValue, label: visit.t($0.labelKey), href: "/console/images?tab=\($0.rawValue)", active: $0 == tab)
            },
            name: name, countText: visit.t("imageCount").replacingOccurrences(of: "{count}", with: String(total)),
            rows: images.map { imageRow($0, visit, tab: tab) }, showSharing: tab == .custom, showOwner: tab == .shared || tab == .community,
            emptyText: visit.t(name.isEmpty ? "empty." + tab.rawValue : "emptySearch"),
            emptyAction: tab == .custom && name.isEmpty
                ? Link(key: "instances", label: visit.t("goToInstances"), href: "/console/instances") : nil,
            pager: Self.pager(visit, page: number, size: Self.imagesPerPage, total: total, keep: [("tab", tab.rawValue), ("name", name)]))
        return render(
            "images", visit, title: visit.t("navImages"), nav: Navigation(images: true), page: page, error: error, status: status)
    }

    /// One image as a table row, with the actions its tab offers.
    func imageRow(_ image: Image, _ visit: Visit, tab: ImageTab = .custom) -> ImageRow {
        let id = image.id
        var actions = [
            Link(key: "create-instance", label: visit.t("createInstance"), href: "/console/instances/new?tab=\(pickerTab(for: tab).rawValue)&image=\(id)")
        ]
        var more: [Link] = []
        switch tab {
        case .custom:
            actions.append(Link(key: "share", label: visit.t("shareImage"), href: "/console/images/\(id)/share"))
            more = [
                Link(key: "edit", label: visit.t("edit"), href: "/console/images/\(id)/edit"),
                Link(key: "copy", label: visit.t("copyImage"), href: "/console/images/\(id)/copy"),
                Link(key: "instances", label: visit.t("relatedInstances"), href: "/console/instances?image=\(id)"),
                Link(key: "delete", label: visit.t("delete"), href: "/console/images/\(id)/delete"),
            ]
        case .shared:
            more = [
                Link(key: "copy", label: visit.t("copyImage"), href: "/console/images/\(id)/copy"),
                Link(key: "instances", label: visit.t("relatedInstances"), href: "/console/instances?image=\(id)"),
            ]
        case .public, .community:
            break
        }
        let owner: String
        if case let .account(ownerId) = image.ownership { owner = ownerId } else { owner = "" }
        let creating = image.status == .creating
        return ImageRow(
            id: id, name: image.name, description: image.description, statusClass: image.status.rawValue.lowercased(),
            statusLabel: visit.t("imageStatus." + image.status.rawValue),
            progress: creating ? "\(image.progress)%" : nil, progressValue: image.progress, progressStep: image.progress / 10,
            osName: visit.language == .zh ? image.osName : image.osNameEn, platform: image.platform,
            architecture: image.architecture.rawValue, size: image.sizeGiB, created: ConsoleTime.format(image.creationTime),
            shareCount: image.shareCount,
            sharingLabel: sharingText(image.shareCount, visit),
            owner: owner, actions: actions, moreActions: more)
    }

    // MARK: One custom image

    /// Runs `body` with the custom image named in the path if the visitor owns it in their region; otherwise
    /// the images page with the API's answer for such an image.
    func withOwnImage(_ visit: Visit, _ context: ImageShareRequestContext, _ body: (Image) async throws -> Response)
        async throws -> Response
    {
        try await withVisibleImage(visit, context) { image in
            guard case let .account(owner) = image.ownership, owner == visit.accountId else {
                return try await imagesPage(
                    visit, error: ConsoleText.message(for: .imageNotShareable, language: visit.language), status: .notFound)
            }
            return try await body(image)
        }
    }

    /// Runs `body` with the image named in the path if the visitor can see it in their region.
    func withVisibleImage(_ visit: Visit, _ context: ImageShareRequestContext, _ body: (Image) async throws -> Response)
        async throws -> Response
    {
        let id = context.parameters.get("id") ?? ""
        guard
            let image = try await catalogue.visibleImage(id: id, in: region(of: visit).id, viewer: visit.accountId, now: configuration.now())
        else {
            return try await imagesPage(visit, error: ConsoleText.message(for: .imageNotFound, language: visit.language), status: .notFound)
        }
        return try await body(image)
    }

    func sharePage(
        _ visit: Visit, _ image: Image, account: String = "", fieldError: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let shares = try await catalogue.store.sharePermissions(
            imageId: image.id, regionId: image.regionId, ownerId: visit.accountId, offset: 0, limit: ImageRules.maxShareAccounts)
        let page = SharePage(
            image: imageRow(image, visit), account: account, fieldError: fieldError,
            shares: shares.accounts.map { ShareRow(accountId: $0.accountId, sharedAt: ConsoleTime.format($0.sharedAt)) },
            quotaText: visit.t("shareQuota").replacingOccurrences(of: "{used}", with: String(shares.totalCount))
                .replacingOccurrences(of: "{limit}", with: String(ImageRules.maxShareAccounts)),
            full: shares.totalCount >= ImageRules.maxShareAccounts)
        return render("share", visit, title: visit.t("shareImage"), nav: Navigation(images: true), page: page, status: status)
    }

    func editPage(_ visit: Visit, _ image: Image, name: String? = nil, description: String? = nil, error: ECSError? = nil) -> Response {
        let refusal = FormRefusal(error, visit.language)
        let page = FormPage(
            heading: visit.t("editImage"), action: "/console/images/\(image.id)/edit", backHref: "/console/images?tab=custom",
            backLabel: visit.t("backToImages"), image: imageRow(image, visit),
            fields: nameAndDescription(visit, name: name ?? image.name, description: description ?? image.description, refusal: refusal),
            submitLabel: visit.t("save"))
        return render(
            "image-form", visit, title: visit.t("editImage"), nav: Navigation(images: true), page: page,
            error: refusal.page(besides: ["name", "description"]), status: refusal.status)
    }

    func copyPage(
        _ visit: Visit, _ image: Image, destination: String? = nil, name: String = "", description: String = "", error: ECSError? = nil
    ) -> Response {
        let refusal = FormRefusal(error, visit.language)
        let chosen = destination ?? image.regionId
        let destinations = FormField(
            name: "destination", label: visit.t("destinationRegion"),
            options: regions.regions.map { SelectOption(value: $0.id, label: regionName($0, visit.language), selected: $0.id == chosen) },
            kind: .select)
        let page = FormPage(
            heading: visit.t("copyImage"), intro: visit.t("copyIntro"), action: "/console/images/\(image.id)/copy",
            backHref: "/console/images", backLabel: visit.t("backToImages"), image: imageRow(image, visit),
            fields: [destinations] + nameAndDescription(visit, name: name, description: description, nameOptional: true, refusal: refusal),
            submitLabel: visit.t("copyImage"))
        return render(
            "image-form", visit, title: visit.t("copyImage"), nav: Navigation(images: true), page: page,
            error: refusal.page(besides: ["name", "description"]), status: refusal.status)
    }

    /// The name and description fields an image's forms share, with the refusal placed beside its field.
    func nameAndDescription(_ visit: Visit, name: String, description: String, nameOptional: Bool = false, refusal: FormRefusal)
        -> [FormField]
    {
        [
            FormField(
                name: "name", label: visit.t("imageName"), value: name, maxLength: TextRules.maxNameLength, optional: nameOptional,
                help: visit.t("imageNameRules"), error: refusal.on("name")),
            FormField(
                name: "description", label: visit.t("description"), value: description, maxLength: TextRules.maxDescriptionLength,
                optional: true, error: refusal.on("description"), kind: .textArea),
        ]
    }

    func deletePage(_ visit: Visit, _ image: Image, force: Bool = false, error: ECSError? = nil) -> Response {
        let shared = image.shareCount > 0 || image.isPublic
        var page = FormPage(
            heading: visit.t("deleteImage"), intro: visit.t("deleteIntro"), action: "/console/images/\(image.id)/delete",
            backHref: "/console/images?tab=custom", backLabel: visit.t("backToImages"), image: imageRow(image, visit),
            facts: Facts(items: [
                Fact(label: visit.t("sharing"), value: sharingText(image.shareCount, visit)),
                Fact(label: visit.t("usedByInstances"), value: visit.t(image.inUse ? "yes" : "no")),
            ]),
            fields: [FormField(name: "force", label: visit.t("forceDelete"), help: visit.t("forceDeleteHelp"), checked: force, kind: .checkbox)],
            submitLabel: visit.t("delete"), submitKind: "danger")
        let refusal = FormRefusal(error, visit.language)
        if shared {
            // It cannot succeed: say why before anyone tries, and where the shares are cancelled.
            page.submitDisabled = true
            if error == nil { page.warning = visit.t("deleteSharedFirst") }
            page.link = Link(key: "shares", label: visit.t("openShareList"), href: "/console/images/\(image.id)/share")
        }
        return render(
            "image-form", visit, title: visit.t("deleteImage"), nav: Navigation(images: true), page: page, error: refusal.message,
            status: refusal.status)
    }

    /// "Shared with 3 accounts", "Not shared".
    func sharingText(_ count: Int, _ visit: Visit) -> String {
        switch count {
        case 0: visit.t("notShared")
        case 1: visit.t("sharedWithOne")
        default: visit.t("sharedWithCount").replacingOccurrences(of: "{count}", with: String(count))
        }
    }
}
