import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore

/// Security settings (安全设置): the account ID to give to owners who share with you, AccessKeys, and the
/// console password. And the snapshots page.
extension ConsoleController {
    func addSecurityRoutes(to router: Router<ImageShareRequestContext>) {
        page(router, "/console/security") { visit, _ in try await securityPage(visit) }
        form(router, "/console/security/keys") { visit, _ in
            guard let credentials = try await accounts.createAccessKey(accountId: visit.accountId, now: configuration.now()) else {
                return try await securityPage(visit, error: visit.t("accountGone"), status: .notFound)
            }
            // Shown once, on this answer only: the page is not cached and a reload does not show it again.
            return try await securityPage(
                visit, newKey: NewKey(id: credentials.accessKeyId, secret: credentials.accessKeySecret), notice: visit.t("done.keyCreated"))
        }
        for (action, enabled) in [("disable", false), ("enable", true)] {
            form(router, RouterPath("/console/security/keys/:key/\(action)")) { visit, context in
                let changed = try await accounts.setAccessKeyEnabled(
                    enabled, accessKeyId: context.parameters.get("key") ?? "", accountId: visit.accountId)
                guard changed else { return try await securityPage(visit, error: visit.t("keyNotFound"), status: .notFound) }
                return Self.redirect("/console/security?done=key\(enabled ? "Enabled" : "Disabled")")
            }
        }
        form(router, "/console/security/password") { visit, _ in
            let current = visit.form["currentPassword"] ?? "", new = visit.form["newPassword"] ?? ""
            let candidate = try await sessions.store.signInCandidate(nameOrId: visit.accountId)
            guard try await ConsolePassword.verify(current, hash: candidate?.passwordHash) else {
                return try await securityPage(visit, passwordError: visit.t("currentPasswordWrong"), status: .badRequest)
            }
            guard ConsolePassword.isAcceptable(new) else {
                return try await securityPage(visit, passwordError: visit.t("passwordRules"), status: .badRequest)
            }
            guard new == visit.form["confirmPassword"] else {
                return try await securityPage(visit, passwordError: visit.t("passwordsDiffer"), status: .badRequest)
            }
            _ = try await sessions.store.setPasswordHash(try await ConsolePassword.hash(new), accountId: visit.accountId)
            // Whoever else was signed in with the old password is signed out.
            try await sessions.store.deleteSessions(accountId: visit.accountId, keeping: visit.current.idHash)
            return Self.redirect("/console/security?done=passwordChanged")
        }
    }

    func securityPage(
        _ visit: Visit, newKey: NewKey? = nil, passwordError: String? = nil, notice: String? = nil, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let keys = try await accounts.accessKeys(accountId: visit.accountId).map { key in
            KeyRow(
                id: key.id, statusClass: key.isEnabled ? "active" : "inactive", statusLabel: visit.t(key.isEnabled ? "keyActive" : "keyInactive"),
                created: ConsoleTime.format(key.createdAt), toggleAction: key.isEnabled ? "disable" : "enable",
                toggleLabel: visit.t(key.isEnabled ? "disable" : "enable"))
        }
        return render(
            "security", visit, title: visit.t("navSecurity"), nav: Navigation(security: true),
            page: SecurityPage(keys: keys, newKey: newKey, passwordError: passwordError), notice: notice, error: error, status: status)
    }

    func snapshotsPage(_ visit: Visit, _ context: ImageShareRequestContext) async throws -> Response {
        let number = Self.pageNumber(visit)
        let (snapshots, total) = try await instances.snapshots(
            in: region(of: visit).id, ownerId: visit.accountId, filter: SnapshotFilter(), offset: (number - 1) * 20, limit: 20)
        let rows = snapshots.map {
            SnapshotRow(
                id: $0.id, name: $0.name, diskId: $0.sourceDiskId.isEmpty ? "-" : $0.sourceDiskId,
                diskType: visit.t("diskType." + $0.sourceDiskType), size: $0.sourceDiskSizeGiB, created: ConsoleTime.format($0.creationTime))
        }
        return render(
            "snapshots", visit, title: visit.t("navSnapshots"), nav: Navigation(snapshots: true),
            page: SnapshotsPage(rows: rows, pager: Self.pager(visit, page: number, size: 20, total: total, keep: [])))
    }
}
