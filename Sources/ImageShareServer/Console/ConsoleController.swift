import ECSWire
import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore
import Logging

/// The web console at `/console/`: the seed guide's flows as pages, for owners and recipients.
///
/// It is one more front door to the same service: every change goes through the API's own action handlers
/// (so a console action and the matching API call give the same result and the same error code), and pages
/// read through the same catalogue and store operations as the Describe calls. No rule is written here.
struct ConsoleController: Sendable {
    let configuration: ServerConfiguration
    let actions: ActionRegistry
    let catalogue: ImageCatalogue
    let instances: any InstanceStore
    let accounts: any AccountStore
    let sessions: ConsoleSessions
    let views: ConsoleViews
    let logger: Logger

    var regions: RegionCatalogue { configuration.regions }

    func addRoutes(to router: Router<ImageShareRequestContext>) {
        router.get("/console") { _, _ in Self.redirect("/console/images") }
        router.get("/console/assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = ConsoleViews.asset(named: name) else {
                return Response(status: .notFound, headers: ConsoleViews.securityHeaders())
            }
            return asset
        }
        addSignInRoutes(to: router)
        addImageRoutes(to: router)
        addInstanceRoutes(to: router)
        addSecurityRoutes(to: router)
        page(router, "/console/snapshots", snapshotsPage)
    }

    // MARK: Routing helpers

    /// A signed-in request: its session, its language's labels and its form (for POSTs, CSRF-checked).
    struct Visit: Sendable {
        let current: ConsoleSessions.Current
        let request: Request
        let form: [String: String]
        let path: String

        var session: ConsoleSession { current.session }
        var accountId: String { session.accountId }
        var language: ConsoleLanguage { current.language }
        var text: [String: String] { ConsoleText.labels(language) }

        func t(_ key: String) -> String { text[key] ?? key }
        func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }

        /// Where the header's forms come back to: this page with its query (tab, search, page), without the
        /// one-time `done` notice.
        var returnPath: String {
            let kept = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("done=") }
            return kept.isEmpty ? path : path + "?" + kept.joined(separator: "&")
        }
    }

    /// A return path a form sent back, if it stays inside the console (it is the visitor's input).
    static func safeReturn(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/console/"), !value.contains("//"), !value.contains("\\"), !value.contains("..")
        else { return nil }
        return value
    }

    typealias VisitHandler = @Sendable (Visit, ImageShareRequestContext) async throws -> Response

    /// A GET page: signed-in visitors only, others are sent to sign in.
    func page(_ router: Router<ImageShareRequestContext>, _ path: RouterPath, _ handler: @escaping VisitHandler) {
        router.get(path) { request, context in
            try await answering(request) {
                guard let current = try await sessions.current(request) else { return Self.redirect("/console/sign-in") }
                let visit = Visit(current: current, request: request, form: [:], path: request.uri.path)
                return try await handler(visit, context)
            }
        }
    }

    /// A POST form: signed-in visitors with the session's CSRF token only.
    func form(_ router: Router<ImageShareRequestContext>, _ path: RouterPath, _ handler: @escaping VisitHandler) {
        router.post(path) { request, context in
            try await answering(request) {
                guard let current = try await sessions.current(request) else { return Self.redirect("/console/sign-in") }
                let form = try await Self.formFields(request)
                let visit = Visit(current: current, request: request, form: form, path: request.uri.path)
                guard ConsoleSessions.isValidToken(form["csrf"], for: current.session) else {
                    return render(
                        "message", visit, title: visit.t("csrfTitle"), nav: Navigation(),
                        page: MessagePage(heading: visit.t("csrfTitle"), text: visit.t("csrfRefused")), status: .forbidden)
                }
                return try await handler(visit, context)
            }
        }
    }

    /// Runs a route; a failure nobody foresaw (a lost database, a bug) becomes a page that says so, and a log
    /// line with the error, instead of an empty 500.
    func answering(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as ECSError where error == .serviceUnavailable {
            return failure(request, .serviceUnavailable)
        } catch {
            logger.error("console page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return failure(request, .internalError)
        }
    }

    private func failure(_ request: Request, _ error: ECSError) -> Response {
        let language = signInLanguage(request)
        return refusal(
            status: Self.status(of: error), language: language, message: ConsoleText.message(for: error, language: language))
    }

    /// The fields of a form body (first value of each name); a body that breaks the request limits is empty.
    static func formFields(_ request: Request) async throws -> [String: String] {
        var request = request
        guard let body = try? await request.collectBody(upTo: 64 * 1024) else { return [:] }
        let pairs = FormDecoding.pairs(Substring(decoding: body.readableBytesView, as: UTF8.self))
        guard (try? RequestLimits.check(pairs)) != nil else { return [:] }
        var fields: [String: String] = [:]
        for (name, value) in pairs where fields[name] == nil { fields[name] = value }
        return fields
    }

    static func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
        var headers = ConsoleViews.securityHeaders()
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.description)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A plain page for a refused request (a missing CSRF token).
    func refusal(status: HTTPResponse.Status, language: ConsoleLanguage, message: String) -> Response {
        views.page(
            "sign-in",
            SignInContext(
                t: ConsoleText.labels(language), htmlLang: language.tag, language: language.rawValue,
                otherLanguage: language.other.rawValue, otherLanguageTag: language.other.tag, account: "", error: message),
            status: status)
    }

    // MARK: Pages

    /// Renders `template` inside the console's frame.
    func render<Content>(
        _ template: String, _ visit: Visit, title: String, nav: Navigation, page: Content, notice: String? = nil,
        error: String? = nil, status: HTTPResponse.Status = .ok
    ) -> Response {
        let session = visit.session
        let text = visit.text
        let context = PageContext(
            t: text, htmlLang: visit.language.tag, otherLanguage: visit.language.other.rawValue,
            otherLanguageTag: visit.language.other.tag, title: title, csrf: session.csrfToken, accountName: session.accountName,
            accountId: session.accountId, accountInitial: String(session.accountName.prefix(1)).uppercased(),
            regions: regions.regions.map {
                RegionOption(id: $0.id, name: regionName($0, visit.language), selected: $0.id == session.regionId)
            },
            regionName: regions.region(id: session.regionId).map { regionName($0, visit.language) } ?? session.regionId,
            returnPath: visit.returnPath, nav: nav, notice: notice ?? visit.query("done").flatMap { text["done." + $0] }, error: error,
            page: page)
        return views.page(template, context, status: status)
    }

    func regionName(_ region: Region, _ language: ConsoleLanguage) -> String {
        "\(language == .zh ? region.localNameZh : region.localNameEn) (\(region.id))"
    }

    /// The region of the session, or the first one offered (a region removed from `--regions` since).
    func region(of visit: Visit) -> Region {
        regions.region(id: visit.session.regionId) ?? regions.regions[0]
    }

    // MARK: Calling the API's actions

    /// Runs an API action for the signed-in account with `parameters` (the session's `RegionId` added unless
    /// given): the same handler, validation and store operation as the RPC endpoint. Nil when it succeeded;
    /// otherwise the API's refusal.
    func attempt(_ action: String, _ parameters: [(String, String)], for visit: Visit) async -> ECSError? {
        var pairs = parameters.filter { !$0.1.isEmpty }
        if !pairs.contains(where: { $0.0 == "RegionId" }) { pairs.append(("RegionId", region(of: visit).id)) }
        let named = pairs.map { (name: $0.0, value: $0.1) }
        do {
            try RequestLimits.check(named)
            guard let handler = actions.handler(for: action) else { return .invalidAction(action) }
            _ = try await handler(
                ActionRequest(
                    action: action, parameters: ParameterBag(named), caller: Caller(accountId: visit.accountId, accessKeyId: "console"),
                    requestId: UUID().uuidString, now: configuration.now()))
            return nil
        } catch let error as ECSError {
            logger.info("console action refused", metadata: ["action": "\(action)", "code": "\(error.code)"])
            return error
        } catch {
            logger.error("console action failed", metadata: ["action": "\(action)", "error": "\(error)"])
            return .internalError
        }
    }

    /// The status a refused form answers with: the API's.
    static func status(of error: ECSError) -> HTTPResponse.Status { HTTPResponse.Status(code: error.httpStatus) }

    /// A page number from the query (1 when absent or malformed).
    static func pageNumber(_ visit: Visit) -> Int {
        visit.query("page").flatMap(Int.init).map { max(1, min($0, 1_000_000)) } ?? 1
    }

    /// Previous/next links for `total` items, `size` per page, keeping the other query parameters.
    static func pager(_ visit: Visit, page: Int, size: Int, total: Int, keep: [(String, String)]) -> Pager? {
        let pages = max(1, (total + size - 1) / size)
        guard pages > 1 else { return nil }
        func link(_ number: Int) -> String {
            "\(visit.path)?" + (keep.filter { !$0.1.isEmpty } + [("page", String(number))])
                .map { "\($0.0)=\(PercentEncodingForm.encode($0.1))" }.joined(separator: "&")
        }
        let text = visit.t("pageOf").replacingOccurrences(of: "{page}", with: String(page))
            .replacingOccurrences(of: "{pages}", with: String(pages))
        return Pager(text: text, previous: page > 1 ? link(page - 1) : nil, next: page < pages ? link(page + 1) : nil)
    }
}

/// Percent-encoding for values put into console links.
enum PercentEncodingForm {
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? ""
    }
}
