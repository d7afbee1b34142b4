"""Helpers for the real-browser tests of the web console (``test_console_browser.py``).

A :class:`Console` is one person at one headless Chromium: it opens console pages, clicks and types the
way a person does, waits for the page that follows (explicitly, never by sleeping), and saves a
screenshot of a step when asked. Every failed wait says where the browser was and what the page said
(``#page-error``, ``#notice``, field errors, the sign-in error).

Nothing here talks HTTP to the console for a step of a story; :func:`http_get` and :func:`http_post`
exist for the security tests, which must send what a browser would never send.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

# selenium-manager must never run (there is no network): the driver is given explicitly.
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,  # noqa: E402
                                        StaleElementReferenceException, TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from conftest import CLI_TIMEOUT, Account, ImageShareServer, _popen_retrying, binary_path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / ".build" / "console-screenshots"

WAIT_S = 15
LANGUAGES = ("zh", "en")
ACCEPT_LANGUAGE = {"zh": "zh-CN", "en": "en"}

PUBLIC_IMAGE = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"
SESSION_COOKIE = "imageshare_session"

# The console's words the tests look for, per language (from ConsoleText.swift).
TEXT: Dict[str, Dict[str, str]] = {
    "zh": {
        "signInTitle": "登录",
        "signInFailed": "账号名或密码错误。",
        "signInLocked": "登录失败次数过多",
        "csrfRefused": "该表单已过期或并非来自本控制台",
        "navInstances": "实例",
        "navImages": "镜像",
        "navSecurity": "安全设置",
        "otherLanguageName": "English",
        "tab.custom": "自定义镜像",
        "tab.shared": "共享镜像",
        "createInstance": "创建实例",
        "createCustomImage": "创建自定义镜像",
        "shareImage": "共享镜像",
        "more": "更多",
        "delete": "删除",
        "deleteImage": "删除镜像",
        "imageStatus.Available": "可用",
        "instanceStatus.Running": "运行中",
        "instanceStatus.Stopped": "已停止",
        "beforeSharing": "共享镜像之前",
        "sensitiveData": "已清除敏感数据和文件",
        "accountTypeLabel": "账号类型",
        "cancelShare": "取消共享",
        "notSharedYet": "该镜像尚未共享给任何账号。",
        "sharedWithOne": "已共享给 1 个账号",
        "sharedBy": "共享者",
        "quota0": "已用 0/50 个账号",
        "quota1": "已用 1/50 个账号",
        "empty.shared": "本地域没有共享给您的镜像",
        "openShareList": "打开共享列表",
        "forceDelete": "即使有实例使用也删除",
        "replaceSystemDisk": "更换系统盘",
        "reinitSystemDisk": "重新初始化系统盘",
        "done.created": "实例已创建。",
        "done.imageCreated": "正在基于实例创建镜像。",
        "done.shared": "镜像已共享。",
        "done.unshared": "已取消共享。",
        "done.stopped": "实例已停止。",
        "done.replaced": "系统盘已更换。",
        "done.deleted": "镜像已删除。",
        "ImageUseShared": "该镜像已共享给其他账号，不能删除",
        "SharedImageDeleted": "无法重新初始化系统盘",
        "InvalidImageId.NotFound": "该镜像在本地域已不存在，或已不再共享给您。",
        "InvalidImageId.NotShareable": "只能共享、编辑或删除您自己在本地域的自定义镜像。",
        "InvalidInstanceId.NotFound": "本地域中没有该实例。",
        "InvalidImageName.Malformed": "名称长度为 2～128 个字符",
        "hangzhou": "华东1（杭州） (cn-hangzhou)",
        "shanghai": "华东2（上海） (cn-shanghai)",
    },
    "en": {
        "signInTitle": "Sign in",
        "signInFailed": "The account name or password is wrong.",
        "signInLocked": "Too many failed sign-ins",
        "csrfRefused": "This form has expired or did not come from this console",
        "navInstances": "Instances",
        "navImages": "Images",
        "navSecurity": "Security settings",
        "otherLanguageName": "中文",
        "tab.custom": "Custom images",
        "tab.shared": "Shared images",
        "createInstance": "Create instance",
        "createCustomImage": "Create custom image",
        "shareImage": "Share image",
        "more": "More",
        "delete": "Delete",
        "deleteImage": "Delete image",
        "imageStatus.Available": "Available",
        "instanceStatus.Running": "Running",
        "instanceStatus.Stopped": "Stopped",
        "beforeSharing": "Before sharing:",
        "sensitiveData": "holds no sensitive data or files",
        "accountTypeLabel": "Account type",
        "cancelShare": "Cancel share",
        "notSharedYet": "This image is not shared with any account yet.",
        "sharedWithOne": "Shared with 1 account",
        "sharedBy": "shared by",
        "quota0": "0 of 50 accounts",
        "quota1": "1 of 50 accounts",
        "empty.shared": "No images are shared with you in this region.",
        "openShareList": "Open the share list",
        "forceDelete": "Delete even if instances use it",
        "replaceSystemDisk": "Replace system disk",
        "reinitSystemDisk": "Re-initialise system disk",
        "done.created": "The instances are created.",
        "done.imageCreated": "The image is being created from the instance.",
        "done.shared": "The image is shared.",
        "done.unshared": "The share is cancelled.",
        "done.stopped": "The instance is stopped.",
        "done.replaced": "The system disk is replaced.",
        "done.deleted": "The image is deleted.",
        "ImageUseShared": "The image is shared with other accounts, so it cannot be deleted",
        "SharedImageDeleted": "cannot be re-initialised",
        "InvalidImageId.NotFound": "This image no longer exists, or it is no longer shared with you, in this region.",
        "InvalidImageId.NotShareable": "Only your own custom images in this region can be shared, edited or deleted.",
        "InvalidInstanceId.NotFound": "There is no such instance in this region.",
        "InvalidImageName.Malformed": "The name must be 2–128 characters",
        "hangzhou": "China (Hangzhou) (cn-hangzhou)",
        "shanghai": "China (Shanghai) (cn-shanghai)",
    },
}


# --------------------------------------------------------------------------
# accounts with console passwords
# --------------------------------------------------------------------------

def first_account_password(server: ImageShareServer) -> str:
    """The console password ``imageshare serve`` printed for the first account "default"."""
    text = Path(server.stdout_path).read_text(errors="replace")
    found = re.search(r"^\s*ConsolePassword\s*:\s*(\S+)\s*$", text, re.M)
    assert found, f"no ConsolePassword line on the first start's stdout:\n{text}"
    return found.group(1)


def _cli_with_stdin(args: List[str], stdin: str) -> str:
    argv = [str(binary_path()), *args]
    proc = _popen_retrying(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(stdin, timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"CLI timed out: imageshare {' '.join(args)}\n{out}\n{err}")
    if proc.returncode != 0:
        pytest.fail(f"CLI failed (exit {proc.returncode}): imageshare {' '.join(args)}\nstdout:\n{out}\nstderr:\n{err}")
    return out


def create_console_account(server: ImageShareServer, name: str, password: str) -> Account:
    """``imageshare accounts create --name NAME --password-stdin``: the new account (ID and AccessKey)."""
    out = _cli_with_stdin(["accounts", "create", "--name", name, "--password-stdin", *server.store_args()],
                          password + "\n")
    account = Account.from_cli_json(out)
    assert re.fullmatch(r"[1-9]\d{15}", account.account_id), out
    return account


def unique_name(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


# --------------------------------------------------------------------------
# the browser
# --------------------------------------------------------------------------

def make_driver(language: str) -> WebDriver:
    """Headless Chromium asking for ``language`` (Accept-Language), with the installed chromedriver."""
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                     "--disable-gpu", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_argument(f"--lang={ACCEPT_LANGUAGE[language]}")
    options.add_experimental_option("prefs", {"intl.accept_languages": ACCEPT_LANGUAGE[language]})
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(chromium).exists():
        options.binary_location = chromium
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def replaced(marker: WebElement) -> Callable[[WebDriver], bool]:
    """A wait condition: ``marker`` (an element of the old page) is gone, i.e. another page is loaded.

    Unlike ``EC.staleness_of`` it also takes chromedriver's "does not belong to the document" answer, which
    comes when the question races the navigation, for "gone"."""
    def gone(_driver: WebDriver) -> bool:
        try:
            marker.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error) or "no such element" in str(error):
                return True
            raise
    return gone


def css_id(value: str) -> str:
    """A CSS attribute selector for an element ID that may hold dots (public image IDs do)."""
    return f'[id="{value}"]'


class Console:
    """One person using the console in one browser."""

    def __init__(self, driver: WebDriver, base_url: str, language: str, who: str,
                 shots: Optional["Screenshots"] = None):
        self.driver = driver
        self.base = base_url.rstrip("/")
        self.language = language
        self.who = who
        self.shots = shots
        self.t = TEXT[language]

    # -- what the page says, for failure messages -----------------------------
    def _text_of(self, css: str) -> Optional[str]:
        try:
            return self.driver.find_element(By.CSS_SELECTOR, css).text
        except NoSuchElementException:
            return None
        except Exception:  # noqa: BLE001 - a page being replaced
            return None

    def describe(self) -> str:
        parts = [f"[{self.who}, {self.language}] at {self.driver.current_url!r} (title {self.driver.title!r})"]
        for css in ("#page-error", "#notice", "#sign-in-error", "#image-error", "#share-account-error",
                    "#password-error", ".field-error"):
            text = self._text_of(css)
            if text:
                parts.append(f"{css}: {text!r}")
        return "; ".join(parts)

    def fail(self, what: str) -> None:
        pytest.fail(f"{what}\n  {self.describe()}", pytrace=False)

    def wait(self, condition: Callable[[WebDriver], object], what: str, timeout: float = WAIT_S):
        try:
            return WebDriverWait(self.driver, timeout).until(condition)
        except TimeoutException:
            self.fail(f"timed out waiting for {what}")

    # -- navigation ----------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def open(self, path: str) -> None:
        self.driver.get(self.url(path))
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", f"{path} to load")

    def wait_path(self, pattern: str, what: Optional[str] = None) -> None:
        """Wait until the current path (with query) matches the regular expression ``pattern``."""
        regex = re.compile(pattern)
        self.wait(lambda d: regex.search(self.path()) is not None and
                  d.execute_script("return document.readyState") == "complete",
                  what or f"a page matching {pattern!r}")

    def submit_and_wait(self, element: WebElement, path_pattern: Optional[str] = None, what: str = "") -> None:
        """Click ``element`` (a submit button or link) and wait for the next page (the old one goes stale)."""
        marker = self.driver.find_element(By.TAG_NAME, "html")
        what = what or repr(element.text)
        element.click()
        self.wait(replaced(marker), f"the page after clicking {what}")
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", "the next page to load")
        if path_pattern:
            self.wait_path(path_pattern, f"{what or 'the next page'} ({path_pattern})")

    def find(self, css: str, what: Optional[str] = None) -> WebElement:
        try:
            return self.driver.find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            self.fail(f"no element {css!r} ({what or 'expected on this page'})")

    def find_all(self, css: str) -> List[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def exists(self, css: str) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, css))

    def text(self, css: str) -> str:
        return self.find(css).text

    def body_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def expect_text(self, css: str, expected: str, what: str = "") -> str:
        actual = self._text_of(css)
        if actual is None or expected not in actual:
            self.fail(f"{what or css}: expected the text {expected!r} in {css}, found {actual!r}")
        return actual

    def expect_notice(self, key: str) -> None:
        self.expect_text("#notice", self.t[key], f"success message {key}")

    def expect_page_error(self, key_or_text: str) -> str:
        expected = self.t.get(key_or_text, key_or_text)
        return self.expect_text("#page-error", expected, "page error")

    def expect_no_page_error(self) -> None:
        if self.exists("#page-error"):
            self.fail("unexpected page error")

    def nav(self, key: str) -> None:
        """Click an entry of the left navigation by its visible label."""
        label = self.t[key]
        links = [a for a in self.find_all("nav.sidenav a") if a.text.strip() == label]
        if not links:
            self.fail(f"no navigation entry {label!r}")
        self.submit_and_wait(links[0], None, f"navigation {label}")

    def shot(self, step: str) -> None:
        if self.shots is not None:
            self.shots.take(self.driver, step)

    # -- sign-in and header ----------------------------------------------------
    def sign_in(self, name: str, password: str, expect_success: bool = True) -> None:
        if "/console/sign-in" not in self.driver.current_url:
            self.open("/console/sign-in")
        heading = self.text("h1")
        if heading != self.t["signInTitle"]:
            self.fail(f"sign-in page heading is {heading!r}, expected {self.t['signInTitle']!r}")
        account = self.find("#account")
        account.clear()
        account.send_keys(name)
        field = self.find("#password")
        field.clear()
        field.send_keys(password)
        button = self.find("#sign-in-button")
        if expect_success:
            self.submit_and_wait(button, r"^/console/images", "sign in")
            self.expect_no_page_error()
        else:
            self.submit_and_wait(button, r"^/console/sign-in", "sign in (refused)")

    def session_cookie(self) -> Dict:
        for cookie in self.driver.get_cookies():
            if cookie["name"] == SESSION_COOKIE:
                return cookie
        self.fail(f"no {SESSION_COOKIE} cookie in the browser")

    def csrf(self) -> str:
        return self.find("input[name=csrf]").get_attribute("value")

    def region(self) -> str:
        return Select(self.find("#region-select")).first_selected_option.get_attribute("value")

    def choose_region(self, region_id: str) -> None:
        """Choose a region in the header's select; the page submits itself (console.js) and comes back."""
        select = Select(self.find("#region-select"))
        if self.region() != region_id:
            marker = self.driver.find_element(By.TAG_NAME, "html")
            select.select_by_value(region_id)
            self.wait(replaced(marker), f"the region select to submit itself ({region_id})")
            self.wait(lambda d: d.execute_script("return document.readyState") == "complete", "the page to load")
        if self.region() != region_id:
            self.fail(f"the region select shows {self.region()!r} after choosing {region_id!r}")
        breadcrumb = self.text(".breadcrumb")
        if region_id not in breadcrumb:
            self.fail(f"the breadcrumb {breadcrumb!r} does not name {region_id}")

    def sign_out(self) -> None:
        self.find("details.account-menu > summary").click()
        button = self.find("details.account-menu form[action='/console/sign-out'] button")
        self.wait(lambda d: button.is_displayed(), "the account menu to open")
        self.submit_and_wait(button, r"^/console/sign-in", "sign out")

    def no_alert(self) -> None:
        try:
            alert = self.driver.switch_to.alert
        except NoAlertPresentException:
            return
        text = alert.text
        alert.dismiss()
        self.fail(f"a JavaScript alert opened: {text!r}")

    # -- instances ---------------------------------------------------------------
    def instance_rows(self) -> Dict[str, WebElement]:
        return {row.get_attribute("data-instance-id"): row for row in self.find_all("tr[data-instance-id]")}

    def instance_row(self, instance_id: str) -> WebElement:
        return self.find(f'tr[data-instance-id="{instance_id}"]', f"the row of instance {instance_id}")

    def instance_id_named(self, name: str) -> str:
        found = [iid for iid, row in self.instance_rows().items()
                 if row.find_element(By.CSS_SELECTOR, ".resource-name").text == name]
        if len(found) != 1:
            self.fail(f"expected one instance named {name!r}, found {found}")
        return found[0]

    def pick_tab(self, tab: str) -> None:
        """Show one group of the image picker (its tabs switch in place, keeping what was typed)."""
        button = self.find(f"#picker-tab-{tab}")
        if button.get_attribute("aria-selected") != "true":
            button.click()
            self.wait(lambda d: button.get_attribute("aria-selected") == "true", f"picker tab {tab} to be selected")
        self.wait(lambda d: self.find(f"#group-{tab}").is_displayed(), f"the picker's {tab} images to show")

    def create_instance(self, tab: str, image_id: str, name: str, step: Optional[str] = None) -> str:
        """Instances → Create instance → picker tab → image → name → create; returns the new instance's ID."""
        self.nav("navInstances")
        self.wait_path(r"^/console/instances$")
        before = set(self.instance_rows())
        self.submit_and_wait(self.find("#create-instance"), r"^/console/instances/new", "create instance")
        self.pick_tab(tab)
        radio = self.find(css_id(f"pick-{image_id}"), f"image {image_id} in the picker's {tab} tab")
        radio.find_element(By.XPATH, "ancestor::label[1]").click()
        self.wait(lambda d: radio.is_selected(), f"image {image_id} to be chosen")
        Select(self.find("#instance-type")).select_by_value("ecs.g7.large")
        self.find("#instance-name").send_keys(name)
        amount = self.find("#amount")
        if amount.get_attribute("value") != "1":
            self.fail(f"the amount field starts at {amount.get_attribute('value')!r}, expected 1")
        if step:
            self.shot(step)
        self.submit_and_wait(self.find("#submit-button"), r"^/console/instances\?done=created", "create the instance")
        self.expect_notice("done.created")
        new = set(self.instance_rows()) - before
        if len(new) != 1:
            self.fail(f"expected one new instance row, found {sorted(new)}")
        instance_id = new.pop()
        row = self.instance_row(instance_id)
        if name not in row.text or image_id not in row.text:
            self.fail(f"the new instance's row does not show its name {name!r} and image {image_id!r}: {row.text!r}")
        return instance_id

    def instance_status(self, instance_id: str) -> str:
        return self.instance_row(instance_id).find_element(By.CSS_SELECTOR, ".status").text

    def stop_instance(self, instance_id: str) -> None:
        if not self.path().startswith("/console/instances"):
            self.nav("navInstances")
        button = self.instance_row(instance_id).find_element(By.CSS_SELECTOR, "button.action-stop")
        self.submit_and_wait(button, r"^/console/instances\?done=stopped", f"stop {instance_id}")
        self.expect_notice("done.stopped")
        status = self.instance_status(instance_id)
        if status != self.t["instanceStatus.Stopped"]:
            self.fail(f"instance {instance_id} shows status {status!r} after stopping")

    # -- images --------------------------------------------------------------------
    def open_images_tab(self, tab: str) -> None:
        if not self.path().startswith("/console/images") or "/console/images/" in self.path():
            self.nav("navImages")
        link = self.find(f"#tab-{tab}")
        if link.get_attribute("aria-current") != "page":
            self.submit_and_wait(link, rf"^/console/images\?tab={tab}", f"images tab {tab}")
        if self.find(f"#tab-{tab}").get_attribute("aria-current") != "page":
            self.fail(f"images tab {tab} is not the current one")

    def image_rows(self) -> Dict[str, WebElement]:
        return {row.get_attribute("data-image-id"): row for row in self.find_all("tr[data-image-id]")}

    def image_row(self, image_id: str) -> WebElement:
        return self.find(f'tr[data-image-id="{image_id}"]', f"the row of image {image_id}")

    def image_action(self, image_id: str, action: str) -> None:
        """Follow an image's action link; those under "More" open the menu first."""
        row = self.image_row(image_id)
        links = row.find_elements(By.CSS_SELECTOR, f"a.action-{action}")
        if not links:
            self.fail(f"image {image_id} offers no action {action}")
        link = links[0]
        if not link.is_displayed():
            summary = row.find_element(By.CSS_SELECTOR, "details.more > summary")
            if summary.text.strip() != self.t["more"]:
                self.fail(f"the menu of secondary actions is labelled {summary.text!r}, expected {self.t['more']!r}")
            summary.click()
            self.wait(lambda d: link.is_displayed(), f"the {action} action to show under More")
        self.submit_and_wait(link, None, f"image action {action}")


    def instance_action(self, instance_id: str, action: str, label_key: str, path: Optional[str] = None) -> None:
        """Follow an instance's action link (opening "More" first when it is there), checking its label."""
        row = self.instance_row(instance_id)
        links = row.find_elements(By.CSS_SELECTOR, f"a.action-{action}")
        if not links:
            self.fail(f"instance {instance_id} offers no action {action}")
        link = links[0]
        if not link.is_displayed():
            row.find_element(By.CSS_SELECTOR, "details.more > summary").click()
            self.wait(lambda d: link.is_displayed(), f"the {action} action to show under More")
        if link.text != self.t[label_key]:
            self.fail(f"the {action} action is labelled {link.text!r}, expected {self.t[label_key]!r}")
        self.submit_and_wait(link, path, f"instance action {action}")


class Screenshots:
    """Numbered screenshots of a story's steps: ``.build/console-screenshots/<language>/<NN>-<step>.png``."""

    def __init__(self, language: str):
        self.directory = SCREENSHOTS / language
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            old.unlink()
        self.count = 0

    def take(self, driver: WebDriver, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.directory / f"{self.count:02d}-{slug}.png"
        assert driver.save_screenshot(str(path)), f"could not save screenshot {path}"
        return path


# --------------------------------------------------------------------------
# plain HTTP, for what a browser would not send
# --------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - keep the 3xx as the answer
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)


def http_get(url: str, cookie: Optional[str] = None) -> Tuple[int, Dict[str, str], str]:
    """GET without following redirects; (status, headers, body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _opener().open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode(errors="replace")


def http_post(url: str, fields: Dict[str, str], cookie: Optional[str] = None) -> Tuple[int, Dict[str, str], str]:
    """POST a form without following redirects; (status, headers, body)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with _opener().open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode(errors="replace")


def cookie_header(console: Console) -> str:
    cookie = console.session_cookie()
    return f"{cookie['name']}={cookie['value']}"
