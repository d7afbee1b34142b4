"""The web console in a real browser (headless Chromium through Selenium).

* The seed guide's whole story, owner and recipient in two browsers, in Chinese and in English, played by
  clicking and typing only; a screenshot of every step goes to ``.build/console-screenshots/<language>/``.
* Security: CSRF tokens, the session cookie's attributes, HTML in another account's image shown as text,
  sign-in throttling, no page of one account reachable by another, the Content-Security-Policy.
* Two servers on one PostgreSQL database share sessions (``multinode``: PostgreSQL run only).
* Keyboard: Tab reaches the image tabs and the search field, with a visible focus ring.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterator, List, Tuple

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import Actor, running_nodes, running_server
from console_browser import (LANGUAGES, PUBLIC_IMAGE, SESSION_COOKIE, TEXT, Console, Screenshots, cookie_header,
                             create_console_account, http_get, http_post, make_driver, unique_name)

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def console_server():
    """One server for this file's tests (the throttling test has its own: a lockout covers the address)."""
    with running_server(prefix="imageshare-console-browser-") as srv:
        yield srv


@pytest.fixture
def browsers() -> Iterator[Callable[[str], object]]:
    """Opens headless Chromium instances; all are closed at teardown."""
    drivers = []

    def open_browser(language: str):
        driver = make_driver(language)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001 - a crashed browser must not hide the test's own failure
            pass


class Person:
    """An account with a console password, and its browser once opened."""

    def __init__(self, server, prefix: str):
        self.server = server
        self.name = unique_name(prefix)
        self.password = PASSWORD
        self.account = create_console_account(self.server, self.name, self.password)
        self.id = self.account.account_id
        self.console: Console = None  # type: ignore[assignment]

    def open(self, browsers, language: str, who: str, shots=None, base: str = None) -> Console:
        base = base or f"http://127.0.0.1:{self.server.port}"
        self.console = Console(browsers(language), base, language, who, shots)
        return self.console

    def actor(self) -> Actor:
        """The same account through the API (for setting up and checking the security tests)."""
        return Actor(self.server, self.account, "v3")


def signed_in(server, browsers, language: str, prefix: str, who: str = None, shots=None) -> Person:
    person = Person(server, prefix)
    console = person.open(browsers, language, who or prefix, shots)
    console.sign_in(person.name, person.password)
    return person


# --------------------------------------------------------------------------
# 1. the seed guide's story, two accounts in two browsers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_sharing_story_through_the_console(console_server, browsers, language):
    t = TEXT[language]
    shots = Screenshots(language)
    owner_person = Person(console_server, f"owner-{language}")
    recipient_person = Person(console_server, f"recipient-{language}")
    owner = owner_person.open(browsers, language, "owner", shots)
    recipient = recipient_person.open(browsers, language, "recipient", shots)

    # -- the owner signs in and chooses the region -----------------------------------------
    owner.open("/console/sign-in")
    lang_attr = owner.find("html").get_attribute("lang")
    assert lang_attr == ("zh-CN" if language == "zh" else "en"), owner.describe()
    owner.expect_text(".language-switch a", t["otherLanguageName"], "the sign-in page's language link")
    owner.shot("owner sign-in page")
    owner.sign_in(owner_person.name, owner_person.password)
    owner.expect_text(".account-menu .account-name", owner_person.name, "the signed-in account in the header")
    owner.expect_text("main h1", t["navImages"], "the images page heading")
    owner.expect_text("button.topbar-link", t["otherLanguageName"], "the header's language switch")
    owner.choose_region("cn-hangzhou")
    owner.expect_text(".breadcrumb", t["hangzhou"], "the region of the page")
    owner.shot("owner signed in, region cn-hangzhou")

    # -- creates an instance from the public image Ubuntu 22.04 x64 -----------------------------
    builder = owner.create_instance("public", PUBLIC_IMAGE, "builder-vm", step="owner create instance form")
    assert owner.instance_status(builder) == t["instanceStatus.Running"], owner.describe()
    owner.shot("owner instance created")

    # -- creates a custom image from it ----------------------------------------------------------
    owner.instance_action(builder, "create-image", "createCustomImage", rf"^/console/instances/{builder}/create-image$")
    owner.expect_text("main h1", t["createCustomImage"])
    image_name = f"golden-{language}"
    owner.find("#field-name").send_keys(image_name)
    owner.find("#field-description").send_keys("Ubuntu with our app")
    owner.shot("owner create image form")
    owner.submit_and_wait(owner.find("#submit-button"), r"^/console/images\?tab=custom&done=imageCreated",
                          "create the image")
    owner.expect_notice("done.imageCreated")
    named = [iid for iid, row in owner.image_rows().items()
             if row.find_element(By.CSS_SELECTOR, ".resource-name").text == image_name]
    assert len(named) == 1, f"expected the new image {image_name!r} listed once: {named}\n{owner.describe()}"
    image_id = named[0]
    owner.wait(lambda d: owner.image_row(image_id).find_element(By.CSS_SELECTOR, ".status").text
               == t["imageStatus.Available"], "the new image to be Available")
    owner.shot("owner image created")

    # -- the recipient signs in and reads their account ID from the security settings ---------------
    recipient.sign_in(recipient_person.name, recipient_person.password)
    recipient.nav("navSecurity")
    recipient.wait_path(r"^/console/security$")
    recipient.expect_text("main h1", t["navSecurity"])
    shown_id = recipient.text("code#account-id").strip()
    assert shown_id == recipient_person.id, f"security settings show {shown_id!r}\n{recipient.describe()}"
    recipient.shot("recipient reads account id")

    # -- the owner shares the image with that ID ----------------------------------------------------
    owner.image_action(image_id, "share")
    owner.wait_path(rf"^/console/images/{image_id}/share$")
    owner.expect_text("main h1", t["shareImage"])
    owner.expect_text(".warning", t["beforeSharing"], "the warning before sharing")
    owner.expect_text(".warning", t["sensitiveData"], "the warning to clear sensitive data")
    owner.expect_text("label[for=account-type]", t["accountTypeLabel"])
    account_type = Select(owner.find("select#account-type")).first_selected_option
    assert account_type.get_attribute("value") == "aliyunUid" and account_type.text == "aliyunUid", owner.describe()
    owner.expect_text("#share-quota", t["quota0"])
    owner.find("#share-account").send_keys(shown_id)
    owner.shot("owner share dialog filled")
    owner.submit_and_wait(owner.find("#share-button"), rf"^/console/images/{image_id}/share\?done=shared",
                          "share")
    owner.expect_notice("done.shared")
    row = owner.find(f'#share-list tr[data-account="{shown_id}"]', "the recipient in the share list")
    assert shown_id in row.text, owner.describe()
    owner.expect_text(f"#unshare-{shown_id}", t["cancelShare"])
    owner.expect_text("#share-quota", t["quota1"], "the share quota")
    owner.shot("owner shared, quota 1 of 50")

    # -- the recipient sees it under Shared images in cn-hangzhou, not in cn-shanghai ------------------
    recipient.open_images_tab("shared")
    recipient.expect_text("#tab-shared", t["tab.shared"])
    shared_row = recipient.image_row(image_id)
    assert image_name in shared_row.text and owner_person.id in shared_row.text, \
        f"the shared row must name the image and its owner: {shared_row.text!r}\n{recipient.describe()}"
    recipient.shot("recipient sees shared image")
    recipient.choose_region("cn-shanghai")
    recipient.expect_text(".breadcrumb", t["shanghai"])
    recipient.open_images_tab("shared")
    assert image_id not in recipient.image_rows(), f"image visible in cn-shanghai\n{recipient.describe()}"
    recipient.expect_text("#images-empty", t["empty.shared"], "the empty shared tab")
    recipient.shot("recipient cn-shanghai no shared image")
    recipient.choose_region("cn-hangzhou")
    recipient.open_images_tab("shared")
    recipient.image_row(image_id)

    # -- creates an instance from it (picker tab Shared images) -------------------------------------------
    own_vm = recipient.create_instance("public", PUBLIC_IMAGE, "recipient-vm")
    recipient.nav("navInstances")
    recipient.submit_and_wait(recipient.find("#create-instance"), r"^/console/instances/new")
    recipient.pick_tab("shared")
    choice = recipient.find(f'[id="pick-{image_id}"]').find_element(By.XPATH, "ancestor::label[1]")
    assert image_name in choice.text and t["sharedBy"] in choice.text and owner_person.id in choice.text, \
        f"the picker's choice must name the image and who shared it: {choice.text!r}"
    from_shared = recipient.create_instance("shared", image_id, "from-shared", step="recipient picks shared image")
    recipient.shot("recipient instance from shared image")

    # -- stops one of their instances and replaces its system disk with the shared image --------------------
    recipient.stop_instance(own_vm)
    recipient.shot("recipient stopped instance")
    replace = recipient.instance_row(own_vm).find_element(By.CSS_SELECTOR, "a.action-replace")
    assert replace.text == t["replaceSystemDisk"], recipient.describe()
    recipient.submit_and_wait(replace, rf"^/console/instances/{own_vm}/replace-system-disk")
    recipient.expect_text("main h1", t["replaceSystemDisk"])
    recipient.pick_tab("shared")
    radio = recipient.find(f'[id="pick-{image_id}"]')
    radio.find_element(By.XPATH, "ancestor::label[1]").click()
    recipient.wait(lambda d: radio.is_selected(), "the shared image to be chosen")
    recipient.shot("recipient replace system disk form")
    recipient.submit_and_wait(recipient.find("#submit-button"), r"^/console/instances\?done=replaced",
                              "replace the system disk")
    recipient.expect_notice("done.replaced")
    assert image_id in recipient.instance_row(own_vm).text, \
        f"the instance's row must show the new image\n{recipient.describe()}"
    recipient.shot("recipient system disk replaced")

    # -- the owner tries to delete the image: refused while shared, with a link to the share list ------------
    owner.open_images_tab("custom")
    owner.expect_text(f'tr[data-image-id="{image_id}"] .shared-badge', t["sharedWithOne"], "the sharing column")
    owner.image_action(image_id, "delete")
    owner.wait_path(rf"^/console/images/{image_id}/delete$")
    owner.expect_text("main h1", t["deleteImage"])
    # before anyone tries: the reason, the way to the share list, and no Delete button to press
    owner.expect_text("#form-warning", t["ImageUseShared"], "the warning on the delete page")
    assert not owner.find("#submit-button").is_enabled(), f"Delete must be disabled while shared\n{owner.describe()}"
    owner.shot("owner delete page")
    link = owner.find("#error-link", "the link to the share list")
    assert link.text == t["openShareList"], owner.describe()
    owner.shot("owner delete refused while shared")
    owner.submit_and_wait(link, rf"^/console/images/{image_id}/share$", "open the share list")

    # -- cancels the share -------------------------------------------------------------------------------------
    owner.find(f'#share-list tr[data-account="{shown_id}"]')
    owner.submit_and_wait(owner.find(f"#unshare-{shown_id}"), rf"^/console/images/{image_id}/share\?done=unshared",
                          "cancel share")
    owner.expect_notice("done.unshared")
    assert not owner.exists(f'#share-list tr[data-account="{shown_id}"]'), owner.describe()
    owner.expect_text("#share-quota", t["quota0"])
    owner.expect_text("main", t["notSharedYet"])
    owner.shot("owner share cancelled")

    # -- the recipient no longer sees it; re-initialising the disk made from it is refused in words ----------------
    recipient.open_images_tab("shared")
    assert image_id not in recipient.image_rows(), f"image still listed after unshare\n{recipient.describe()}"
    recipient.expect_text("#images-empty", t["empty.shared"])
    recipient.shot("recipient no longer sees image")
    recipient.nav("navInstances")
    assert recipient.instance_status(from_shared) == t["instanceStatus.Running"], \
        f"the instance made from the image must keep running\n{recipient.describe()}"
    recipient.stop_instance(from_shared)
    recipient.instance_action(from_shared, "reinit", "reinitSystemDisk", rf"^/console/instances/{from_shared}/reinit$")
    recipient.expect_text("main h1", t["reinitSystemDisk"])
    recipient.submit_and_wait(recipient.find("#submit-button"), rf"^/console/instances/{from_shared}/reinit$",
                              "re-initialise")
    recipient.expect_page_error("SharedImageDeleted")
    recipient.shot("recipient reinit refused")

    # -- the owner deletes the image: the recipient's instance still uses it, but only the owner's own hold it --
    owner.open_images_tab("custom")
    owner.image_action(image_id, "delete")
    owner.wait_path(rf"^/console/images/{image_id}/delete$")
    assert not owner.exists("#error-link"), f"no share is left: no link to the share list\n{owner.describe()}"
    force = owner.find("#field-force")
    label = force.find_element(By.XPATH, "ancestor::label[1]")
    assert t["forceDelete"] in label.text, owner.describe()
    assert not force.is_selected(), owner.describe()
    owner.shot("owner delete")
    owner.submit_and_wait(owner.find("#submit-button"), r"^/console/images\?tab=custom&done=deleted", "delete")
    owner.expect_notice("done.deleted")
    assert image_id not in owner.image_rows(), owner.describe()
    owner.shot("owner image deleted")

    assert shots.count >= 20, shots.count


# --------------------------------------------------------------------------
# 2. security
# --------------------------------------------------------------------------

def test_forms_without_or_with_a_forged_csrf_token_are_refused(console_server, browsers):
    person = signed_in(console_server, browsers, "zh", "csrf")
    console = person.console
    t = TEXT["zh"]
    console.nav("navSecurity")
    keys_before = len(console.find_all("#keys-table tr[data-key]"))
    assert keys_before == 1, console.describe()

    # In the browser: the hidden token removed, then replaced by a forged one.
    for script in ("document.querySelector(\"form[action='/console/security/keys'] input[name=csrf]\").remove()",
                   "document.querySelector(\"form[action='/console/security/keys'] input[name=csrf]\").value = "
                   "'forged-' + 'x'.repeat(36)"):
        console.driver.execute_script(script)
        console.submit_and_wait(console.find("#create-key"), r"^/console/security/keys$", "create key (bad token)")
        console.expect_text("#message-text", t["csrfRefused"], "the CSRF refusal (a console page: still signed in)")
        assert console.exists("#message-back"), console.describe()
        assert not console.exists("#new-key-secret"), console.describe()
        console.open("/console/security")
        assert len(console.find_all("#keys-table tr[data-key]")) == keys_before, \
            f"a key was created without a valid token\n{console.describe()}"

    # Outside the browser, with its session cookie: no token, a forged token, then (to show the request
    # itself is right) the session's token.
    base = console.base
    cookie = cookie_header(console)
    token = console.csrf()
    # One character changed: the first, whose six bits all count (the last one's two low bits are padding,
    # and it is one of 16 letters, so replacing it with "A" gave back the same token one run in 16).
    altered = ("B" if token[0] != "B" else "C") + token[1:]
    for fields in ({"region": "cn-shanghai", "return": "/console/images"},
                   {"region": "cn-shanghai", "return": "/console/images", "csrf": "forged"},
                   {"region": "cn-shanghai", "return": "/console/images", "csrf": altered}):
        status, _, body = http_post(f"{base}/console/preferences", fields, cookie)
        assert status == 403, (status, fields, body[:300])
        assert t["csrfRefused"] in body
    status, _, _ = http_post(f"{base}/console/sign-out", {}, cookie)
    assert status == 403
    console.open("/console/images")
    assert console.path() == "/console/images", f"the session must survive a refused sign-out\n{console.describe()}"
    assert console.region() == "cn-hangzhou", f"a refused form changed the region\n{console.describe()}"
    status, headers, _ = http_post(f"{base}/console/preferences",
                                   {"region": "cn-shanghai", "return": "/console/images", "csrf": token}, cookie)
    assert status == 303 and headers.get("Location") == "/console/images", (status, headers)
    console.open("/console/images")
    assert console.region() == "cn-shanghai", console.describe()


def test_session_cookie_is_httponly_strict_and_invisible_to_scripts(console_server, browsers):
    person = signed_in(console_server, browsers, "en", "cookie")
    console = person.console
    cookie = console.session_cookie()
    assert cookie["httpOnly"] is True, cookie
    assert cookie["sameSite"] == "Strict", cookie
    assert cookie["path"] == "/console", cookie
    assert len(cookie["value"]) >= 32, "the session ID must be long and random"
    for path in ("/console/images", "/console/security"):
        console.open(path)
        seen = console.driver.execute_script("return document.cookie")
        assert SESSION_COOKIE not in seen and cookie["value"] not in seen, (path, seen)


def test_html_in_another_accounts_image_is_shown_as_text(console_server, browsers):
    owner_person = signed_in(console_server, browsers, "en", "xss-owner", "owner")
    recipient_person = signed_in(console_server, browsers, "zh", "xss-recipient", "recipient")
    owner, recipient = owner_person.console, recipient_person.console

    builder = owner.create_instance("public", PUBLIC_IMAGE, "xss-builder")
    owner.instance_action(builder, "create-image", "createCustomImage", r"/create-image$")
    # HTML in the name is refused (names are letters, digits and . : _ -) and given back as typed.
    owner.find("#field-name").send_keys("<script>alert(1)</script>")
    owner.find("#field-description").send_keys(XSS)
    owner.submit_and_wait(owner.find("#submit-button"), r"/create-image$", "create image (bad name)")
    owner.expect_text(".field-error", TEXT["en"]["InvalidImageName.Malformed"])
    assert owner.find("#field-name").get_attribute("value") == "<script>alert(1)</script>"
    assert owner.find("#field-description").get_attribute("value") == XSS
    owner.no_alert()
    # A good name with the HTML description.
    name = owner.find("#field-name")
    name.clear()
    name.send_keys("xss-probe")
    owner.submit_and_wait(owner.find("#submit-button"), r"^/console/images\?tab=custom&done=imageCreated")
    image_id = next(iid for iid, row in owner.image_rows().items() if "xss-probe" in row.text)
    assert XSS in owner.image_row(image_id).text
    owner.image_action(image_id, "share")
    owner.find("#share-account").send_keys(recipient_person.id)
    owner.submit_and_wait(owner.find("#share-button"), r"done=shared")

    recipient.open_images_tab("shared")
    row = recipient.image_row(image_id)
    notes = [el.text for el in row.find_elements(By.CSS_SELECTOR, ".resource-note")]
    assert XSS in notes, f"the description must read as typed: {notes}\n{recipient.describe()}"
    recipient.no_alert()
    injected = recipient.driver.execute_script(
        "return Array.from(document.querySelectorAll('img')).map(i => i.getAttribute('src'))")
    assert "x" not in injected, f"an <img src=x> element was created from the description: {injected}"
    assert "&lt;img src=x onerror=alert(1)&gt;" in recipient.driver.page_source
    # and in the picker, the copy page and the owner's own pages
    for console, path in ((recipient, "/console/instances/new?tab=shared"), (recipient, f"/console/images/{image_id}/copy"),
                          (owner, "/console/images?tab=custom"), (owner, f"/console/images/{image_id}/edit")):
        console.open(path)
        console.no_alert()
        assert console.driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0, path


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_is_throttled_after_five_wrong_passwords(browsers, language):
    # Its own server: a lockout also covers the client's address (127.0.0.1 for every test).
    t = TEXT[language]
    with running_server(prefix="imageshare-console-throttle-") as server:
        person = Person(server, "throttled")
        console = person.open(browsers, language, "throttled")
        console.open("/console/sign-in")
        for attempt in range(1, 6):
            console.sign_in(person.name, f"wrong password {attempt}", expect_success=False)
            console.expect_text("#sign-in-error", t["signInFailed"], f"wrong password #{attempt}")
            assert console.find("#account").get_attribute("value") == person.name, "the name is kept"
        console.sign_in(person.name, person.password, expect_success=False)
        console.expect_text("#sign-in-error", t["signInLocked"], "the 6th attempt with the right password")
        assert not [c for c in console.driver.get_cookies() if c["name"] == SESSION_COOKIE], "no session when locked"


def test_no_page_of_one_account_is_reachable_by_another(console_server, browsers):
    owner_person = Person(console_server, "private-owner")
    recipient_person = signed_in(console_server, browsers, "en", "curious")
    console = recipient_person.console
    owner = owner_person.actor()
    builder = owner.run_instances(PUBLIC_IMAGE)[0]
    private_image = owner.create_image(InstanceId=builder, ImageName="private-image")
    shared_image = owner.create_image(InstanceId=builder, ImageName="shared-image")
    owner.share(shared_image, add=[recipient_person.id])

    def check(path: str, message_key: str, hidden: Tuple[str, ...]) -> None:
        console.open(path)
        console.expect_page_error(message_key)
        body = console.body_text()
        for secret in hidden:
            assert secret not in body, f"{path} shows {secret!r}\n{console.describe()}"
        for css in ("#share-list", "#share-account", "#submit-button", "#field-name"):
            assert not console.exists(css), f"{path} shows {css}\n{console.describe()}"

    for action in ("share", "edit", "delete"):
        # an image not shared with the visitor does not exist for them
        check(f"/console/images/{private_image}/{action}", "InvalidImageId.NotFound", (private_image, "private-image"))
        # an image shared with them is not theirs to share, edit or delete
        check(f"/console/images/{shared_image}/{action}", "InvalidImageId.NotShareable", (owner_person.id,))
    for action in ("replace-system-disk", "reinit", "create-image", "delete"):
        check(f"/console/instances/{builder}/{action}", "InvalidInstanceId.NotFound", (builder,))
    console.open(f"/console/instances?image={private_image}")
    assert builder not in console.body_text()

    # Forms posted with the visitor's own valid token change nothing of the owner's.
    console.open("/console/images")
    cookie, token = cookie_header(console), console.csrf()
    base = console.base
    for path, fields in ((f"/console/images/{shared_image}/delete", {"force": "true"}),
                         (f"/console/images/{shared_image}/unshare", {"account": recipient_person.id}),
                         (f"/console/images/{private_image}/share", {"account": recipient_person.id}),
                         (f"/console/images/{private_image}/edit", {"name": "stolen", "description": "stolen"}),
                         (f"/console/instances/{builder}/stop", {}),
                         (f"/console/instances/{builder}/delete", {"force": "true"}),
                         (f"/console/instances/{builder}/create-image", {"name": "stolen-copy"})):
        status, _, _ = http_post(base + path, {"csrf": token, **fields}, cookie)
        assert status == 404, (path, status)
    assert owner.image(private_image)["ImageName"] == "private-image"
    assert owner.shared_accounts(private_image) == []
    assert owner.shared_accounts(shared_image) == [recipient_person.id]
    assert owner.instance(builder)["Status"] == "Running"


def test_content_security_policy_forbids_inline_script_and_framing(console_server, browsers):
    person = signed_in(console_server, browsers, "en", "csp")
    base = person.console.base
    cookie = cookie_header(person.console)
    pages = [("/console/sign-in", None), ("/console/images", cookie), ("/console/instances/new", cookie),
             ("/console/security", cookie), ("/console/images/m-nothing/share", cookie)]
    for path, with_cookie in pages:
        status, headers, body = http_get(base + path, with_cookie)
        assert status in (200, 404), (path, status)
        policy = headers.get("Content-Security-Policy", "")
        directives = {d.strip().split()[0]: d.strip().split()[1:] for d in policy.split(";") if d.strip()}
        assert directives.get("script-src") == ["'self'"], (path, policy)
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (path, policy)
        assert directives.get("frame-ancestors") == ["'none'"], (path, policy)
        assert headers.get("X-Frame-Options") == "DENY", (path, headers)
        assert headers.get("Cache-Control") == "no-store", (path, headers)
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert not inline, f"{path} carries inline script: {inline}"
        assert not re.search(r"\son[a-z]+\s*=", body), f"{path} carries an inline event handler"
    # the browser enforces it: an injected inline script does not run
    console = person.console
    console.open("/console/images")
    console.driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s)")
    assert console.driver.execute_script("return window.__ran === true") is False


# --------------------------------------------------------------------------
# 3. two servers, one database: sessions are shared
# --------------------------------------------------------------------------

@pytest.mark.multinode
def test_a_session_works_on_every_node_and_ends_everywhere(browsers):
    with running_nodes(2) as (node_a, node_b):
        person = Person(node_a, "roaming")
        console_a = person.open(browsers, "zh", "node-a")
        console_a.sign_in(person.name, person.password)
        cookie = console_a.session_cookie()
        base_b = f"http://127.0.0.1:{node_b.port}"

        # the same cookie in a second browser, which only ever talks to node B
        console_b = Console(browsers("zh"), base_b, "zh", "node-b")
        console_b.open("/console/sign-in")
        console_b.driver.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": "/console",
                                     "httpOnly": True, "sameSite": "Strict"})
        console_b.open("/console/images")
        assert console_b.path() == "/console/images", console_b.describe()
        console_b.expect_text(".account-menu .account-name", person.name)
        status, _, body = http_get(base_b + "/console/security", f"{cookie['name']}={cookie['value']}")
        assert status == 200 and person.id in body

        console_a.sign_out()
        console_b.open("/console/images")
        assert console_b.path() == "/console/sign-in", f"the session still works on node B\n{console_b.describe()}"
        status, headers, _ = http_get(base_b + "/console/images", f"{cookie['name']}={cookie['value']}")
        assert status == 303 and headers.get("Location") == "/console/sign-in", (status, headers)


# --------------------------------------------------------------------------
# 4. keyboard
# --------------------------------------------------------------------------

def test_tab_reaches_the_image_tabs_and_search_with_a_visible_focus(console_server, browsers):
    person = signed_in(console_server, browsers, "en", "keyboard")
    console = person.console
    console.open("/console/images?tab=custom")
    console.driver.execute_script("document.activeElement && document.activeElement.blur(); window.focus()")
    wanted = ["tab-custom", "tab-public", "tab-shared", "tab-community", "image-name-filter"]
    visited: List[Dict] = []
    for _ in range(40):
        ActionChains(console.driver).send_keys(Keys.TAB).perform()
        focused = console.driver.execute_script("""
            const e = document.activeElement, s = getComputedStyle(e);
            return {id: e.id, tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim().slice(0, 40),
                    outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth,
                    focusVisible: e.matches(':focus-visible')};""")
        visited.append(focused)
        if focused["id"] == wanted[-1]:
            break
    order = [f["id"] for f in visited if f["id"] in wanted]
    assert order == wanted, f"Tab order reached {order}; all focused: {[(f['tag'], f['id'], f['text']) for f in visited]}"
    invisible = [f for f in visited
                 if f["outlineStyle"] == "none" or f["outlineWidth"] in ("0px", "")]
    assert not invisible, f"focused elements without a visible outline: {invisible}"
    assert len({f["id"] + f["text"] for f in visited}) == len(visited), f"focus did not move: {visited}"
