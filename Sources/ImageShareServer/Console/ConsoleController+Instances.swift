import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore

/// The instances page and what the seed guide does with instances: create them from an image picked in tabs
/// (public, custom, shared), start, stop, release, replace or re-initialise the system disk, and create a
/// custom image from one.
extension ConsoleController {
    /// The image picker's tabs.
    enum PickerTab: String, CaseIterable {
        case `public`, custom, shared

        var filter: ImageFilter {
            var filter = ImageFilter()
            filter.statuses = [.available, .deprecated]
            switch self {
            case .public: filter.ownerAlias = .system
            case .custom: filter.ownerAlias = .own
            case .shared: filter.ownerAlias = .others
            }
            return filter
        }
    }

    func pickerTab(for tab: ImageTab) -> PickerTab {
        switch tab {
        case .custom: .custom
        case .shared: .shared
        case .public, .community: .public
        }
    }

    static let instancesPerPage = 20

    func addInstanceRoutes(to router: Router<ImageShareRequestContext>) {
        page(router, "/console/instances") { visit, _ in try await instancesPage(visit) }
        page(router, "/console/instances/new") { visit, _ in try await launchPage(visit) }
        form(router, "/console/instances") { visit, _ in
            let image = visit.form["image"] ?? "", type = visit.form["instanceType"] ?? ""
            let name = visit.form["instanceName"] ?? "", amount = visit.form["amount"] ?? "1"
            if let error = await attempt(
                    "RunInstances", [("ImageId", image), ("InstanceType", type), ("InstanceName", name), ("Amount", amount)], for: visit) {
                return try await launchPage(visit, image: image, type: type, name: name, amount: amount, error: error)
            }
            return Self.redirect("/console/instances?done=created")
        }
        for (action, apiAction, done) in [("start", "StartInstance", "started"), ("stop", "StopInstance", "stopped")] {
            form(router, RouterPath("/console/instances/:id/\(action)")) { visit, context in
                if let error = await attempt(apiAction, [("InstanceId", context.parameters.get("id") ?? "")], for: visit) {
                    return try await instancesPage(
                        visit, error: ConsoleText.message(for: error, language: visit.language), status: Self.status(of: error))
                }
                // A Stop button on a page that needs a stopped instance comes back to that page.
                return Self.redirect(Self.safeReturn(visit.form["return"]) ?? "/console/instances?done=\(done)")
            }
        }
        page(router, "/console/instances/:id/delete") { visit, context in
            try await withInstance(visit, context) { instance in releasePage(visit, instance) }
        }
        form(router, "/console/instances/:id/delete") { visit, context in
            try await withInstance(visit, context) { instance in
                let force = visit.form["force"] == "true"
                if let error = await attempt("DeleteInstance", [("InstanceId", instance.id), ("Force", force ? "true" : "")], for: visit) {
                    return releasePage(visit, instance, force: force, error: error)
                }
                return Self.redirect("/console/instances?done=released")
            }
        }
        page(router, "/console/instances/:id/replace-system-disk") { visit, context in
            try await withInstance(visit, context) { instance in try await replaceDiskPage(visit, instance) }
        }
        form(router, "/console/instances/:id/replace-system-disk") { visit, context in
            try await withInstance(visit, context) { instance in
                let image = visit.form["image"] ?? ""
                if let error = await attempt("ReplaceSystemDisk", [("InstanceId", instance.id), ("ImageId", image)], for: visit) {
                    return try await replaceDiskPage(visit, instance, image: image, error: error)
                }
                return Self.redirect("/console/instances?done=replaced")
            }
        }
        page(router, "/console/instances/:id/reinit") { visit, context in
            try await withInstance(visit, context) { instance in try await reInitPage(visit, instance) }
        }
        form(router, "/console/instances/:id/reinit") { visit, context in
            try await withInstance(visit, context) { instance in
                let disk = try await systemDisk(of: instance, visit)
                if let error = await attempt("ReInitDisk", [("DiskId", disk?.id ?? "")], for: visit) {
                    return try await reInitPage(visit, instance, error: error)
                }
                return Self.redirect("/console/instances?done=reinitialised")
            }
        }
        page(router, "/console/instances/:id/create-image") { visit, context in
            try await withInstance(visit, context) { instance in createImagePage(visit, instance) }
        }
        form(router, "/console/instances/:id/create-image") { visit, context in
            try await withInstance(visit, context) { instance in
                let name = visit.form["name"] ?? "", description = visit.form["description"] ?? ""
                if let error = await attempt(
                        "CreateImage", [("InstanceId", instance.id), ("ImageName", name), ("Description", description)], for: visit) {
                    return createImagePage(visit, instance, name: name, description: description, error: error)
                }
                return Self.redirect("/console/images?tab=custom&done=imageCreated")
            }
        }
    }

    // MARK: Pages

    func instancesPage(_ visit: Visit, error: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var filter = InstanceFilter()
        let imageId = visit.query("image").flatMap { $0.isEmpty || $0.count > 128 ? nil : $0 }
        filter.imageId = imageId
        let number = Self.pageNumber(visit)
        let (found, total) = try await instances.instances(
            in: region(of: visit).id, ownerId: visit.accountId, filter: filter, offset: (number - 1) * Self.instancesPerPage,
            limit: Self.instancesPerPage)
        let page = InstancesPage(
            rows: found.map { instanceRow($0, visit) }, imageFilter: imageId,
            imageFilterText: visit.t("instancesOfImage").replacingOccurrences(of: "{image}", with: imageId ?? ""),
            emptyText: visit.t(imageId == nil ? "noInstances" : "noInstancesOfImage"),
            pager: Self.pager(visit, page: number, size: Self.instancesPerPage, total: total, keep: [("image", imageId ?? "")]))
        return render(
            "instances", visit, title: visit.t("navInstances"), nav: Navigation(instances: true), page: page, error: error,
            status: status)
    }

    func instanceRow(_ instance: Instance, _ visit: Visit) -> InstanceRow {
        let type = instance.instanceType
        let shape = visit.t("instanceShape").replacingOccurrences(of: "{cpu}", with: String(type.cpu))
            .replacingOccurrences(of: "{memory}", with: String(type.memoryMiB / 1024))
        return InstanceRow(
            id: instance.id, name: instance.name, statusClass: instance.status.rawValue.lowercased(),
            statusLabel: visit.t("instanceStatus." + instance.status.rawValue), zone: instance.zoneId, imageId: instance.imageId,
            osName: visit.language == .zh ? instance.osName : (instance.osNameEn.isEmpty ? instance.osName : instance.osNameEn),
            instanceType: type.id, shape: shape, created: ConsoleTime.format(instance.creationTime),
            canStart: instance.status == .stopped, canStop: instance.status == .running)
    }

    /// The instance named in the path, if it is the visitor's; otherwise the instances page with the API's answer.
    func withInstance(_ visit: Visit, _ context: ImageShareRequestContext, _ body: (Instance) async throws -> Response)
        async throws -> Response
    {
        guard let instance = try await instances.instance(id: context.parameters.get("id") ?? "", ownerId: visit.accountId) else {
            return try await instancesPage(
                visit, error: ConsoleText.message(for: .instanceNotFound, language: visit.language), status: .notFound)
        }
        return try await body(instance)
    }

    func systemDisk(of instance: Instance, _ visit: Visit) async throws -> Disk? {
        var filter = DiskFilter()
        filter.instanceId = instance.id
        filter.type = "system"
        return try await instances.disks(in: instance.regionId, ownerId: visit.accountId, filter: filter, offset: 0, limit: 1).disks.first
    }

    /// The picker's groups, each with its images (newest first, at most 100 each: the page lists, it does not
    /// search); the one containing `selected` (or named by the `tab` query) is shown first.
    func pickerGroups(_ visit: Visit, selected: String?) async throws -> [PickerGroup] {
        var groups: [(tab: PickerTab, images: [PickerImage])] = []
        for tab in PickerTab.allCases {
            let (images, _) = try await catalogue.images(
                in: region(of: visit).id, matching: tab.filter, viewer: visit.accountId, page: PageRequest(number: 1, size: 100),
                now: configuration.now())
            groups.append((tab, images.map { pickerImage($0, visit, selected: selected) }))
        }
        let requested = visit.query("tab").flatMap(PickerTab.init(rawValue:))
        let active = groups.first { $0.images.contains { $0.selected } }?.tab ?? requested ?? .public
        return groups.map {
            PickerGroup(
                key: $0.tab.rawValue, label: visit.t("tab." + $0.tab.rawValue), active: $0.tab == active, images: $0.images,
                emptyText: visit.t("picker.empty." + $0.tab.rawValue))
        }
    }

    func pickerImage(_ image: Image, _ visit: Visit, selected: String?) -> PickerImage {
        var owner: String?
        if case let .account(id) = image.ownership, id != visit.accountId { owner = id }
        return PickerImage(
            id: image.id, name: image.name, showId: image.name != image.id,
            osName: visit.language == .zh ? image.osName : image.osNameEn, architecture: image.architecture.rawValue,
            size: image.sizeGiB, owner: owner, selected: image.id == selected)
    }

    func launchPage(
        _ visit: Visit, image: String? = nil, type: String? = nil, name: String = "", amount: String = "1", error: ECSError? = nil
    ) async throws -> Response {
        let chosen = image ?? visit.query("image")
        let refusal = FormRefusal(error, visit.language)
        let types = InstanceType.catalogue.values.sorted { ($0.cpu, $0.memoryMiB, $0.id) < ($1.cpu, $1.memoryMiB, $1.id) }
        let chosenType = type ?? "ecs.g7.large"
        var page = ImagePickerPage(
            heading: visit.t("createInstance"), intro: visit.t("createInstanceIntro"), action: "/console/instances",
            groups: try await pickerGroups(visit, selected: chosen), showLaunchFields: true,
            instanceTypes: types.map { type in
                InstanceTypeOption(
                    id: type.id,
                    label: "\(type.id) · " + visit.t("instanceShape").replacingOccurrences(of: "{cpu}", with: String(type.cpu))
                        .replacingOccurrences(of: "{memory}", with: String(type.memoryMiB / 1024)) + " · \(type.architecture.rawValue)",
                    selected: type.id == chosenType)
            },
            instanceName: name, amount: Int(amount) ?? 1, submitLabel: visit.t("createInstance"))
        page.nameError = refusal.on("instanceName")
        page.imageError = refusal.page(besides: ["instanceName", "instanceType"])
        return render(
            "image-picker", visit, title: visit.t("createInstance"), nav: Navigation(instances: true), page: page,
            error: refusal.on("instanceType"), status: refusal.status)
    }

    func replaceDiskPage(_ visit: Visit, _ instance: Instance, image: String? = nil, error: ECSError? = nil) async throws -> Response {
        var page = ImagePickerPage(
            heading: visit.t("replaceSystemDisk"),
            intro: visit.t("replaceDiskIntro").replacingOccurrences(of: "{instance}", with: instance.id),
            action: "/console/instances/\(instance.id)/replace-system-disk",
            groups: try await pickerGroups(visit, selected: image), showLaunchFields: false,
            submitLabel: visit.t("replaceSystemDisk"))
        page.stopForm = stopForm(for: instance, returningTo: "/console/instances/\(instance.id)/replace-system-disk")
        let refusal = FormRefusal(error, visit.language)
        page.imageError = refusal.message
        return render(
            "image-picker", visit, title: visit.t("replaceSystemDisk"), nav: Navigation(instances: true), page: page,
            status: refusal.status)
    }

    /// A Stop button for a page whose action needs a stopped instance; nil when it is not running.
    func stopForm(for instance: Instance, returningTo path: String) -> StopForm? {
        instance.status == .running ? StopForm(action: "/console/instances/\(instance.id)/stop", returnPath: path) : nil
    }

    func reInitPage(_ visit: Visit, _ instance: Instance, error: ECSError? = nil) async throws -> Response {
        let disk = try await systemDisk(of: instance, visit)
        var page = FormPage(
            heading: visit.t("reinitSystemDisk"), intro: visit.t("reinitIntro"), action: "/console/instances/\(instance.id)/reinit",
            backHref: "/console/instances", backLabel: visit.t("backToInstances"),
            facts: Facts(items: [
                Fact(label: visit.t("instance"), value: "\(instance.name) (\(instance.id))"),
                Fact(label: visit.t("status"), value: visit.t("instanceStatus." + instance.status.rawValue)),
                Fact(label: visit.t("systemDisk"), value: disk?.id ?? "-"),
                Fact(label: visit.t("sourceImage"), value: disk?.imageId ?? instance.imageId),
            ]),
            submitLabel: visit.t("reinitSystemDisk"), submitKind: "danger")
        page.stopForm = stopForm(for: instance, returningTo: "/console/instances/\(instance.id)/reinit")
        let refusal = FormRefusal(error, visit.language)
        return render(
            "image-form", visit, title: visit.t("reinitSystemDisk"), nav: Navigation(instances: true), page: page, error: refusal.message,
            status: refusal.status)
    }

    func releasePage(_ visit: Visit, _ instance: Instance, force: Bool = false, error: ECSError? = nil) -> Response {
        let page = FormPage(
            heading: visit.t("releaseInstance"), intro: visit.t("releaseIntro"), action: "/console/instances/\(instance.id)/delete",
            backHref: "/console/instances", backLabel: visit.t("backToInstances"),
            facts: Facts(items: [
                Fact(label: visit.t("instance"), value: "\(instance.name) (\(instance.id))"),
                Fact(label: visit.t("status"), value: visit.t("instanceStatus." + instance.status.rawValue)),
            ]),
            fields: [FormField(name: "force", label: visit.t("forceRelease"), checked: force || instance.status == .running, kind: .checkbox)],
            submitLabel: visit.t("release"), submitKind: "danger")
        let refusal = FormRefusal(error, visit.language)
        return render(
            "image-form", visit, title: visit.t("releaseInstance"), nav: Navigation(instances: true), page: page, error: refusal.message,
            status: refusal.status)
    }

    func createImagePage(_ visit: Visit, _ instance: Instance, name: String = "", description: String = "", error: ECSError? = nil)
        -> Response
    {
        let refusal = FormRefusal(error, visit.language)
        let page = FormPage(
            heading: visit.t("createCustomImage"), intro: visit.t("createImageIntro"),
            action: "/console/instances/\(instance.id)/create-image", backHref: "/console/instances",
            backLabel: visit.t("backToInstances"),
            facts: Facts(items: [Fact(label: visit.t("instance"), value: "\(instance.name) (\(instance.id))")]),
            fields: nameAndDescription(visit, name: name, description: description, nameOptional: true, refusal: refusal),
            submitLabel: visit.t("createCustomImage"))
        return render(
            "image-form", visit, title: visit.t("createCustomImage"), nav: Navigation(instances: true), page: page,
            error: refusal.page(besides: ["name", "description"]), status: refusal.status)
    }
}
