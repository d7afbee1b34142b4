import Foundation
import HTTPTypes
import Hummingbird
import ImageShareCore

/// Sign-in, sign-out and the header's preferences (region and language).
extension ConsoleController {
    func addSignInRoutes(to router: Router<ImageShareRequestContext>) {
        router.get("/console/sign-in") { request, _ in try await answering(request) {
            if try await sessions.current(request) != nil { return Self.redirect("/console/images") }
            let chosen = request.uri.queryParameters.get("lang").flatMap(ConsoleLanguage.init(rawValue:))
            let language = chosen ?? signInLanguage(request)
            var response = signInPage(language: language, account: "")
            if let chosen { response.setCookie(sessions.languageCookie(chosen)) }
            return response
        } }
        router.post("/console/sign-in") { request, context in try await answering(request) {
            let form = try await Self.formFields(request)
            let language = form["language"].flatMap(ConsoleLanguage.init(rawValue:)) ?? signInLanguage(request)
            let text = ConsoleText.labels(language)
            let name = (form["account"] ?? "").trimmingCharacters(in: .whitespaces)
            let password = form["password"] ?? ""
            guard Account.isValidName(name), !password.isEmpty, password.utf8.count <= ConsolePassword.maxBytes else {
                return signInPage(language: language, account: name, error: text["signInFailed"], status: .unauthorized)
            }
            let address = context.remoteAddress?.ipAddress
            do {
                let cookie = try await sessions.signIn(
                    nameOrId: name, password: password, clientAddress: address, regionId: defaultRegionId, language: language)
                return Self.redirect("/console/images", cookies: [cookie])
            } catch ConsoleSessions.Refusal.wrongNameOrPassword {
                return signInPage(language: language, account: name, error: text["signInFailed"], status: .unauthorized)
            } catch let ConsoleSessions.Refusal.lockedOut(until) {
                let minutes = max(1, Int((until.timeIntervalSince(configuration.now()) / 60).rounded(.up)))
                let message = text["signInLocked"]!.replacingOccurrences(of: "{minutes}", with: String(minutes))
                return signInPage(language: language, account: name, error: message, status: .tooManyRequests)
            }
        } }
        form(router, "/console/sign-out") { visit, _ in
            let cookie = try await sessions.signOut(visit.current)
            return Self.redirect("/console/sign-in", cookies: [cookie])
        }
        form(router, "/console/preferences") { visit, _ in
            let region = visit.form["region"].flatMap { regions.region(id: $0)?.id }
            let language = visit.form["language"].flatMap(ConsoleLanguage.init(rawValue:))?.rawValue
            if region != nil || language != nil {
                try await sessions.store.updateSession(idHash: visit.current.idHash, regionId: region, language: language)
            }
            return Self.redirect(Self.safeReturn(visit.form["return"]) ?? "/console/images")
        }
    }

    /// The region a new session starts in: cn-hangzhou when offered (the ECS console's default), else the first.
    var defaultRegionId: String {
        regions.region(id: "cn-hangzhou")?.id ?? regions.regions[0].id
    }

    /// The sign-in page's language: the visitor's earlier choice, else their browser's.
    func signInLanguage(_ request: Request) -> ConsoleLanguage {
        request.cookies[ConsoleSessions.languageCookieName].flatMap { ConsoleLanguage(rawValue: $0.value) }
            ?? ConsoleLanguage.preferred(by: request.headers[.acceptLanguage])
    }

    func signInPage(language: ConsoleLanguage, account: String, error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        views.page(
            "sign-in",
            SignInContext(
                t: ConsoleText.labels(language), htmlLang: language.tag, language: language.rawValue,
                otherLanguage: language.other.rawValue, otherLanguageTag: language.other.tag, account: account, error: error),
            status: status)
    }
}
