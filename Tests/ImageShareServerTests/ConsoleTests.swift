import Foundation
import ImageShareCore
import ImageShareServer
import ImageShareStore
import Testing

/// The web console in-process: every route, sign-in and sessions, CSRF, escaping, and the seed guide's story.
@Suite("console: routes, sessions and the seed story")
struct ConsoleTests {
    static let ubuntu = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"

    /// Every page a signed-in visitor can open (with the IDs a fresh owner has).
    static let pages = [
        "/console/images", "/console/images?tab=public", "/console/images?tab=shared", "/console/images?tab=community",
        "/console/instances", "/console/instances/new", "/console/instances/new?tab=custom", "/console/snapshots",
        "/console/security",
    ]

    @Test("pages need a session: without one every page and form sends the visitor to sign in")
    func signedOutVisitorsAreSentToSignIn() async throws {
        let server = try await TestServer()
        var browser = ConsoleBrowser(server)
        for path in Self.pages + ["/console/images/m-x/share", "/console/instances/i-x/reinit"] {
            let page = try await browser.get(path)
            #expect(page.status == 303 && page.location == "/console/sign-in", "\(path)")
        }
        for path in ["/console/images/m-x/share", "/console/instances", "/console/security/keys", "/console/preferences"] {
            let page = try await browser.post(path, [("account", "1")], csrf: .some("forged"))
            #expect(page.status == 303 && page.location == "/console/sign-in", "\(path)")
        }
        #expect(try await browser.get("/console").location == "/console/images")
    }

    @Test("every page renders in both languages with the account, region and navigation, and security headers")
    func everyPageRenders() async throws {
        let server = try await TestServer()
        var (browser, id) = try await server.consoleAccount(name: "alice")
        for language in ["en", "zh"] {
            _ = try await browser.post("/console/preferences", [("language", language), ("return", "/console/images")])
            for path in Self.pages {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path): \(page.body.prefix(200))")
                #expect(page.contains("alice") && page.contains(id), "\(path)")
                #expect(page.contains(language == "zh" ? "快照和镜像" : "Snapshots &amp; Images"), "\(path) in \(language)")
                #expect(page.contains("lang=\"\(language == "zh" ? "zh-CN" : "en")\""))
                #expect(!page.contains("{{"), "\(path): an unrendered tag")
                let policy = page.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"))
                #expect(page.headers[.cacheControl] == "no-store")
            }
        }
        for asset in ["console.css", "console.js"] {
            let page = try await browser.get("/console/assets/\(asset)")
            #expect(page.status == 200 && page.body.count > 500)
        }
        #expect(try await browser.get("/console/assets/secret.key").status == 404)
    }

    @Test("sign-in: one message for a wrong name or password, a cookie that scripts and other sites cannot use, a new session each time")
    func signIn() async throws {
        let server = try await TestServer()
        let credentials = try await server.store.createAccount(name: "bob", now: TestServer.now).1
        _ = try await server.store.setPasswordHash(try await ConsolePassword.hash("a good password"), accountId: credentials.accountId)
        var browser = ConsoleBrowser(server)
        let wrongPassword = try await browser.signIn("bob", "not the password")
        let unknownAccount = try await browser.signIn("nobody", "a good password")
        #expect(wrongPassword.status == 401 && unknownAccount.status == 401)
        #expect(wrongPassword.contains("The account name or password is wrong."))
        #expect(unknownAccount.contains("The account name or password is wrong."))

        let first = try await browser.signIn("bob", "a good password")
        #expect(first.status == 303 && first.location == "/console/images")
        let cookie = try #require(first.setCookies.first { $0.hasPrefix("imageshare_session=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
        #expect(!cookie.contains("Secure"), "no TLS here")
        let firstSession = browser.cookies["imageshare_session"]
        // By ID too, and every sign-in is a new session.
        try await browser.signIn(credentials.accountId, "a good password")
        #expect(browser.cookies["imageshare_session"] != firstSession)

        let signedOut = try await browser.post("/console/sign-out")
        #expect(signedOut.location == "/console/sign-in")
        #expect(browser.cookies["imageshare_session"] == nil)
    }

    @Test("sign-out and a disabled account end the session for every server of the store")
    func sessionsLiveInTheStore() async throws {
        let server = try await TestServer()
        var (browser, id) = try await server.consoleAccount(name: "carol")
        // A second application on the same store: another node behind the load balancer.
        let other = try await TestServer(sharing: server.store)
        var elsewhere = ConsoleBrowser(other)
        elsewhere.cookies = browser.cookies
        #expect(try await elsewhere.get("/console/images").status == 200)
        _ = try await browser.post("/console/sign-out")
        #expect(try await elsewhere.get("/console/images").location == "/console/sign-in")

        var (again, _) = try await server.consoleAccount(name: "carol-2")
        _ = try await server.store.setAccountEnabled(false, accountId: try await server.store.accounts().first { $0.name == "carol-2" }!.id)
        #expect(try await again.get("/console/images").location == "/console/sign-in")
        #expect(try await again.signIn("carol-2", "correct horse battery").status == 401)
        _ = id
    }

    @Test("repeated failures lock the account name and the address out for a while, even with the right password")
    func throttling() async throws {
        let server = try await TestServer(configure: { $0.signInThrottle = SignInThrottle(maxFailuresPerAccount: 3, window: 600, lockout: 600) })
        let credentials = try await server.store.createAccount(name: "dave", now: TestServer.now).1
        _ = try await server.store.setPasswordHash(try await ConsolePassword.hash("the right one!"), accountId: credentials.accountId)
        var browser = ConsoleBrowser(server)
        for _ in 0..<3 { #expect(try await browser.signIn("dave", "wrong").status == 401) }
        let locked = try await browser.signIn("dave", "the right one!")
        #expect(locked.status == 429)
        #expect(locked.contains("Too many failed sign-ins"))
        #expect(browser.cookies["imageshare_session"] == nil)
    }

    @Test("a form without the session's CSRF token changes nothing")
    func csrf() async throws {
        let server = try await TestServer()
        var (browser, _) = try await server.consoleAccount(name: "erin")
        let before = try await server.store.accessKeys(accountId: try await server.store.accounts().first { $0.name == "erin" }!.id).count
        for token in [nil, "forged-token"] as [String?] {
            let refused = try await browser.post("/console/security/keys", csrf: .some(token))
            #expect(refused.status == 403)
        }
        let launch = try await browser.post(
            "/console/instances", [("image", Self.ubuntu), ("instanceType", "ecs.g7.large")], csrf: .some("forged"))
        #expect(launch.status == 403)
        // Still signed in: the refusal is a console page with the way back, not the sign-in form.
        #expect(launch.contains("The form was not accepted") && launch.contains("erin") && !launch.contains("sign-in-button"))
        let after = try await server.store.accessKeys(accountId: try await server.store.accounts().first { $0.name == "erin" }!.id).count
        #expect(before == after)
        #expect(try await browser.get("/console/instances").contains("instances-empty"))
    }

    @Test("preferences: region and language stay in the session; the return path stays inside the console")
    func preferences() async throws {
        let server = try await TestServer()
        var (browser, _) = try await server.consoleAccount(name: "frank")
        let moved = try await browser.post("/console/preferences", [("region", "cn-shanghai"), ("return", "/console/instances")])
        #expect(moved.location == "/console/instances")
        // The header's forms come back to the same tab and search, without a one-time notice.
        let shared = try await browser.get("/console/images?tab=shared&name=web&done=shared")
        #expect(shared.contains(#"name="return" value="/console/images?tab=shared&amp;name=web""#))
        #expect(try await browser.get("/console/images").contains("<option value=\"cn-shanghai\" selected>"))
        for hostile in ["https://evil.example/", "//evil.example/x", "/console/../..//evil", "javascript:alert(1)"] {
            #expect(try await browser.post("/console/preferences", [("language", "zh"), ("return", hostile)]).location == "/console/images")
        }
        #expect(try await browser.get("/console/images").contains("自定义镜像"))
        // An unknown region changes nothing.
        _ = try await browser.post("/console/preferences", [("region", "cn-atlantis"), ("return", "/console/images")])
        #expect(try await browser.get("/console/images").contains("<option value=\"cn-shanghai\" selected>"))
    }

    @Test("the sign-in page follows Accept-Language, and a language chosen there is kept")
    func signInLanguage() async throws {
        let server = try await TestServer()
        var browser = ConsoleBrowser(server)
        browser.acceptLanguage = "zh-CN,zh;q=0.9,en;q=0.8"
        #expect(try await browser.get("/console/sign-in").contains("账号名或账号 ID"))
        browser.acceptLanguage = "en-US,en;q=0.9"
        #expect(try await browser.get("/console/sign-in").contains("Account name or ID"))
        _ = try await browser.get("/console/sign-in?lang=zh")
        #expect(try await browser.get("/console/sign-in").contains("账号名或账号 ID"))
    }

    @Test("text another account wrote is shown as text, never as markup")
    func escaping() async throws {
        let server = try await TestServer()
        var (owner, _) = try await server.consoleAccount(name: "<b>owner</b>")
        var (recipient, recipientId) = try await server.consoleAccount(name: "recipient")
        let image = try await ConsoleStory.makeImage(&owner, name: "golden", description: "<img src=x onerror=alert(1)>")
        #expect(try await owner.post("/console/images/\(image)/share", [("account", recipientId)]).status == 303)
        let shared = try await recipient.get("/console/images?tab=shared")
        #expect(shared.contains(image))
        #expect(!shared.contains("<img src=x") && shared.contains("&lt;img src=x onerror=alert(1)&gt;"))
        let ownerPage = try await owner.get("/console/images")
        #expect(!ownerPage.contains("<b>owner</b>") && ownerPage.contains("&lt;b&gt;owner&lt;/b&gt;"))
    }

    @Test("the seed story: share, see, launch, replace, refuse deletion while shared, unshare, lose, re-initialise fails, delete")
    func seedStory() async throws {
        let server = try await TestServer()
        var (owner, _) = try await server.consoleAccount(name: "owner")
        var (recipient, recipientId) = try await server.consoleAccount(name: "recipient")
        let image = try await ConsoleStory.makeImage(&owner, name: "golden-image")

        // The recipient's ID, as read from their security settings page.
        let shownId = try await recipient.get("/console/security").firstMatch(#"<code id="account-id">(\d{16})</code>"#)
        #expect(shownId == recipientId)
        let share = try await owner.post("/console/images/\(image)/share", [("account", recipientId)])
        #expect(share.location == "/console/images/\(image)/share?done=shared")
        let dialog = try await owner.get("/console/images/\(image)/share?done=shared")
        #expect(dialog.contains("data-account=\"\(recipientId)\"") && dialog.contains("1 of 50"))
        #expect(dialog.contains("no sensitive data"))
        #expect(try await owner.post("/console/images/\(image)/share", [("account", recipientId)]).location?.hasSuffix("done=alreadyShared") == true)
        // Before anyone tries: deletion is explained and offered no button while the image is shared.
        let deletePage = try await owner.get("/console/images/\(image)/delete")
        #expect(deletePage.contains("cannot be deleted") && deletePage.contains("id=\"submit-button\" disabled"))
        #expect(deletePage.contains("Shared with 1 account<"))

        // Seen in the shared tab of its region only.
        #expect(try await recipient.get("/console/images?tab=shared").contains(image))
        _ = try await recipient.post("/console/preferences", [("region", "cn-shanghai"), ("return", "/console/images")])
        #expect(!(try await recipient.get("/console/images?tab=shared").contains(image)))
        _ = try await recipient.post("/console/preferences", [("region", "cn-hangzhou"), ("return", "/console/images")])

        // Launch from it, and replace another instance's system disk with it.
        let picker = try await recipient.get("/console/instances/new?tab=shared")
        #expect(picker.contains("value=\"\(image)\""))
        #expect(try await recipient.post("/console/instances", [("image", image), ("instanceType", "ecs.g7.large"), ("instanceName", "from-shared")]).status == 303)
        let instance = try #require(try await recipient.get("/console/instances").firstMatch(#"data-instance-id="(i-[a-z0-9]+)""#))
        _ = try await recipient.post("/console/instances/\(instance)/stop")
        let replaced = try await recipient.post("/console/instances/\(instance)/replace-system-disk", [("image", image)])
        #expect(replaced.location == "/console/instances?done=replaced")

        // The owner cannot delete it while it is shared, and is shown the way to the share list.
        let refused = try await owner.post("/console/images/\(image)/delete")
        #expect(refused.status == 403)
        #expect(refused.contains("Cancel every share first") && refused.contains("/console/images/\(image)/share"))

        // Unshare: the recipient loses it, and re-initialising the disk made from it fails in words.
        #expect(try await owner.post("/console/images/\(image)/unshare", [("account", recipientId)]).location?.hasSuffix("done=unshared") == true)
        #expect(!(try await recipient.get("/console/images?tab=shared").contains(image)))
        // A running instance's re-initialise page offers to stop it first, and comes back.
        _ = try await recipient.post("/console/instances/\(instance)/start")
        let running = try await recipient.get("/console/instances/\(instance)/reinit")
        #expect(running.contains("id=\"stop-first\""))
        #expect(try await recipient.get("/console/instances").contains("Ubuntu  22.04 64 bit<"), "English names in English")
        let stopped = try await recipient.post(
            "/console/instances/\(instance)/stop", [("return", "/console/instances/\(instance)/reinit")])
        #expect(stopped.location == "/console/instances/\(instance)/reinit")
        #expect(!(try await recipient.get("/console/instances/\(instance)/reinit").contains("id=\"stop-first\"")))
        let reinit = try await recipient.post("/console/instances/\(instance)/reinit")
        #expect(reinit.status == 403)
        #expect(reinit.contains("no longer shared with you"))
        let launchAgain = try await recipient.post("/console/instances", [("image", image), ("instanceType", "ecs.g7.large")])
        #expect(launchAgain.status == 404)

        // Now the owner can delete it: the former recipient's instance does not hold it back.
        #expect(try await owner.post("/console/images/\(image)/delete").location == "/console/images?tab=custom&done=deleted")
        #expect(!(try await owner.get("/console/images").contains(image)))
    }

    @Test("deleting an image the owner's own instance uses needs the force box; the refusal says why")
    func deleteInUse() async throws {
        let server = try await TestServer()
        var (owner, _) = try await server.consoleAccount(name: "owner")
        let image = try await ConsoleStory.makeImage(&owner, name: "in-use")
        let launched = try await owner.post("/console/instances", [("image", image), ("instanceType", "ecs.g7.large"), ("instanceName", "user")])
        #expect(launched.status == 303)
        let inUse = try await owner.post("/console/images/\(image)/delete")
        #expect(inUse.status == 403 && inUse.contains("Instances use this image"))
        #expect(try await owner.post("/console/images/\(image)/delete", [("force", "true")]).location == "/console/images?tab=custom&done=deleted")
    }

    @Test("share refusals are shown next to the field with the API's status: unknown, yourself, not yours, not available")
    func shareRefusals() async throws {
        let server = try await TestServer(configure: { $0.imageBuildSeconds = 3600 })
        var (owner, ownerId) = try await server.consoleAccount(name: "owner")
        var (other, _) = try await server.consoleAccount(name: "other")
        let image = try await ConsoleStory.makeImage(&owner, name: "still-creating")
        let unknown = try await owner.post("/console/images/\(image)/share", [("account", "1234567890123456")])
        #expect(unknown.status == 404 && unknown.contains("There is no account 1234567890123456"))
        #expect(unknown.contains("aria-invalid=\"true\""))
        let yourself = try await owner.post("/console/images/\(image)/share", [("account", ownerId)])
        #expect(yourself.contains("That is your own account ID"))
        let malformed = try await owner.post("/console/images/\(image)/share", [("account", "abc")])
        #expect(malformed.status == 404 && malformed.contains("is not an account ID"))
        let notReady = try await owner.post("/console/images/\(image)/share", [("account", try await server.store.accounts().first { $0.name == "other" }!.id)])
        #expect(notReady.status == 400 && notReady.contains("not available"))
        let empty = try await owner.post("/console/images/\(image)/share", [("account", "")])
        #expect(empty.status == 400 && empty.contains("Enter the account ID"))
        // Another account's image: the page does not exist for them.
        let foreign = try await other.get("/console/images/\(image)/share")
        #expect(foreign.status == 404)
        #expect(try await other.post("/console/images/\(image)/share", [("account", ownerId)]).status == 404)
        #expect(try await other.post("/console/images/\(image)/delete").status == 404)
    }

    @Test("security settings: a new key's secret is shown once and works; keys can be disabled; the password can be changed")
    func securitySettings() async throws {
        let server = try await TestServer()
        var (browser, id) = try await server.consoleAccount(name: "gina")
        let created = try await browser.post("/console/security/keys")
        let keyId = try #require(created.firstMatch(#"<code id="new-key-id">(LTAI[A-Za-z0-9]+)</code>"#))
        let secret = try #require(created.firstMatch(#"<code id="new-key-secret">([A-Za-z0-9]+)</code>"#))
        #expect(try await server.store.accessKey(id: keyId)?.secret == secret)
        #expect(!(try await browser.get("/console/security").contains(secret)), "the secret is shown once only")
        let signer = TestSigner(keyId: keyId, secret: secret)
        #expect(try await server.send(signer.v3(action: "DescribeRegions")).status == 200)
        _ = try await browser.post("/console/security/keys/\(keyId)/disable")
        #expect(try await server.send(signer.v3(action: "DescribeRegions")).code == "Forbidden.AccessKeyDisabled")
        _ = try await browser.post("/console/security/keys/\(keyId)/enable")
        #expect(try await server.send(signer.v3(action: "DescribeRegions")).status == 200)

        var second = ConsoleBrowser(server)
        try await second.signIn("gina", "correct horse battery")
        let wrong = try await browser.post(
            "/console/security/password",
            [("currentPassword", "nope"), ("newPassword", "a new passphrase"), ("confirmPassword", "a new passphrase")])
        #expect(wrong.status == 400 && wrong.contains("The current password is wrong."))
        let short = try await browser.post(
            "/console/security/password",
            [("currentPassword", "correct horse battery"), ("newPassword", "short"), ("confirmPassword", "short")])
        #expect(short.status == 400)
        let changed = try await browser.post(
            "/console/security/password",
            [("currentPassword", "correct horse battery"), ("newPassword", "a new passphrase"), ("confirmPassword", "a new passphrase")])
        #expect(changed.location == "/console/security?done=passwordChanged")
        #expect(try await browser.get("/console/security").status == 200, "this session stays")
        #expect(try await second.get("/console/security").location == "/console/sign-in", "other sessions end")
        var third = ConsoleBrowser(server)
        #expect(try await third.signIn(id, "a new passphrase").status == 303)
    }

    @Test("instance actions: start, stop, release, create an image; errors in words")
    func instanceActions() async throws {
        let server = try await TestServer()
        var (browser, _) = try await server.consoleAccount(name: "henry")
        #expect(try await browser.post("/console/instances", [("image", Self.ubuntu), ("instanceType", "ecs.g7.large")]).status == 303)
        let instance = try #require(try await browser.get("/console/instances").firstMatch(#"data-instance-id="(i-[a-z0-9]+)""#))
        let running = try await browser.post("/console/instances/\(instance)/start")
        #expect(running.status == 403 && running.contains("not in a state that allows this"))
        #expect(try await browser.post("/console/instances/\(instance)/stop").location == "/console/instances?done=stopped")
        #expect(try await browser.get("/console/instances?done=stopped").contains("The instance is stopped."))
        #expect(try await browser.post("/console/instances/\(instance)/start").location == "/console/instances?done=started")
        let badName = try await browser.post("/console/instances/\(instance)/create-image", [("name", "1bad")])
        #expect(badName.status == 400 && badName.contains("start with a letter"))
        for page in ["create-image", "reinit", "replace-system-disk", "replace-system-disk?tab=custom", "delete"] {
            let shown = try await browser.get("/console/instances/\(instance)/\(page)")
            #expect(shown.status == 200 && shown.contains(instance), "\(page)")
        }
        #expect(try await browser.get("/console/instances/i-doesnotexist/reinit").status == 404)
        let arm = try await browser.post("/console/instances", [("image", "aliyun_3_arm64_20G_alibase_20241103.vhd"), ("instanceType", "ecs.g7.large")])
        #expect(arm.status == 400 && arm.contains("architecture"))
        #expect(try await browser.get("/console/instances/\(instance)/delete").status == 200)
        #expect(try await browser.post("/console/instances/\(instance)/delete", [("force", "true")]).location == "/console/instances?done=released")
        #expect(try await browser.get("/console/instances/\(instance)/delete").status == 404)
    }

    @Test("image actions: edit, copy to another region, related instances; the pages exist for every action")
    func imageActions() async throws {
        let server = try await TestServer()
        var (browser, _) = try await server.consoleAccount(name: "ivy")
        let image = try await ConsoleStory.makeImage(&browser, name: "to-edit")
        for path in ["edit", "copy", "delete", "share"] {
            #expect(try await browser.get("/console/images/\(image)/\(path)").status == 200, "\(path)")
        }
        #expect(try await browser.post("/console/images/\(image)/edit", [("name", "edited-name"), ("description", "edited text")]).status == 303)
        #expect(try await browser.get("/console/images?name=edited").contains("edited text"))
        let bad = try await browser.post("/console/images/\(image)/edit", [("name", "x")])
        #expect(bad.status == 400 && bad.contains("2–128 characters"))
        #expect(try await browser.post("/console/images/\(image)/copy", [("destination", "cn-beijing"), ("name", "copy-in-beijing")]).status == 303)
        _ = try await browser.post("/console/preferences", [("region", "cn-beijing"), ("return", "/console/images")])
        #expect(try await browser.get("/console/images").contains("copy-in-beijing"))
        _ = try await browser.post("/console/preferences", [("region", "cn-hangzhou"), ("return", "/console/images")])
        let related = try await browser.get("/console/instances?image=\(image)")
        #expect(related.contains(image) && related.contains("instances-empty"))
        #expect(try await browser.get("/console/images?name=" + String(repeating: "x", count: 129)).status == 400)
    }
}

/// Steps of the story that several tests take.
enum ConsoleStory {
    /// Launches an instance from a public image and makes a custom image of it; returns the image ID.
    static func makeImage(_ browser: inout ConsoleBrowser, name: String, description: String = "") async throws -> String {
        let launched = try await browser.post(
            "/console/instances", [("image", ConsoleTests.ubuntu), ("instanceType", "ecs.g7.large"), ("instanceName", "builder")])
        #expect(launched.status == 303, "\(launched.body.prefix(400))")
        let instance = try #require(try await browser.get("/console/instances").firstMatch(#"data-instance-id="(i-[a-z0-9]+)""#))
        let created = try await browser.post("/console/instances/\(instance)/create-image", [("name", name), ("description", description)])
        #expect(created.location == "/console/images?tab=custom&done=imageCreated", "\(created.body.prefix(400))")
        let images = try await browser.get("/console/images?name=\(name)")
        return try #require(images.firstMatch(#"data-image-id="(m-[a-z0-9]+)""#))
    }
}

/// The console's labels: both languages complete, and every label a template names exists.
@Suite("console: labels")
struct ConsoleLabelTests {
    @Test("Chinese and English have the same labels and error sentences, and every template's labels exist")
    func labelsAreComplete() throws {
        let chinese = ConsoleTextProbe.labels(zh: true), english = ConsoleTextProbe.labels(zh: false)
        #expect(Set(chinese.keys) == Set(english.keys), "\(Set(chinese.keys).symmetricDifference(english.keys))")
        #expect(chinese.values.allSatisfy { !$0.isEmpty } && english.values.allSatisfy { !$0.isEmpty })
        let used = try ConsoleTextProbe.templateLabels()
        #expect(used.count > 80, "the templates were read")
        #expect(used.subtracting(english.keys).isEmpty, "labels missing: \(used.subtracting(english.keys))")
    }
}
