import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageShareCore
import ImageShareServer
import ImageShareStore
import Testing

/// A browser stand-in for the console: keeps the session cookie, reads CSRF tokens from pages, posts forms.
struct ConsoleBrowser {
    let server: TestServer
    var cookies: [String: String] = [:]
    var acceptLanguage = "en"

    /// One console response: status, headers and the page.
    struct Page {
        let status: Int
        let headers: HTTPFields
        let body: String

        var location: String? { headers[.location] }
        var setCookies: [String] { headers[values: .setCookie] }

        /// The CSRF token the page's forms carry.
        var csrf: String? { firstMatch(#"name="csrf" value="([^"]+)""#) }

        func firstMatch(_ pattern: String) -> String? {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                let match = regex.firstMatch(in: body, range: NSRange(body.startIndex..., in: body)),
                let range = Range(match.range(at: 1), in: body)
            else { return nil }
            return String(body[range])
        }

        func contains(_ text: String) -> Bool { body.contains(text) }
    }

    init(_ server: TestServer) {
        self.server = server
    }

    mutating func get(_ path: String) async throws -> Page {
        try await send(path, method: .get, body: nil)
    }

    /// Posts a form; the current CSRF token is added unless `csrf` says otherwise (nil: none at all).
    mutating func post(_ path: String, _ fields: [(String, String)] = [], csrf: String?? = .none) async throws -> Page {
        var all = fields
        switch csrf {
        case .none: if let token = try await currentToken() { all.append(("csrf", token)) }
        case let .some(token?): all.append(("csrf", token))
        case .some(.none): break
        }
        let body = all.map { "\(PercentEncodingForTests.encode($0.0))=\(PercentEncodingForTests.encode($0.1))" }.joined(separator: "&")
        return try await send(path, method: .post, body: body)
    }

    /// The token of the signed-in session, read from a page as a browser would.
    mutating func currentToken() async throws -> String? {
        guard cookies["imageshare_session"] != nil else { return nil }
        return try await get("/console/security").csrf
    }

    /// Signs in with a name or ID and password; returns the answer (a redirect on success).
    @discardableResult
    mutating func signIn(_ account: String, _ password: String) async throws -> Page {
        try await send("/console/sign-in", method: .post, body: "account=\(PercentEncodingForTests.encode(account))&password=\(PercentEncodingForTests.encode(password))")
    }

    private mutating func send(_ path: String, method: HTTPRequest.Method, body: String?) async throws -> Page {
        var headers: HTTPFields = [.acceptLanguage: acceptLanguage]
        if !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let sent = headers
        let page = try await server.app.test(.router) { client in
            try await client.execute(uri: path, method: method, headers: sent, body: body.map { ByteBuffer(string: $0) }) { response in
                Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
            }
        }
        for cookie in page.setCookies {
            let pair = cookie.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty || cookie.contains("Max-Age=0") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
        }
        return page
    }
}

enum PercentEncodingForTests {
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? ""
    }
}

extension TestServer {
    /// An account with a console password, signed in to a new browser.
    func consoleAccount(name: String, password: String = "correct horse battery") async throws -> (browser: ConsoleBrowser, id: String) {
        let credentials = try await store.createAccount(name: name, now: TestServer.now).1
        _ = try await store.setPasswordHash(try await ConsolePassword.hash(password), accountId: credentials.accountId)
        var browser = ConsoleBrowser(self)
        let answer = try await browser.signIn(name, password)
        #expect(answer.status == 303, "sign-in of \(name): \(answer.body.prefix(300))")
        return (browser, credentials.accountId)
    }
}
