"""Console passwords and account state from the CLI, checked through the running server: the first account's
generated password, `accounts create --password-stdin`, `accounts set-password`, `accounts disable/enable`."""
import http.cookiejar
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import Account, ApiError, running_server, wait_for_binary


def cli_with_input(server, *args, stdin: str):
    proc = subprocess.run([str(wait_for_binary()), *args, *server.store_args()], input=stdin, capture_output=True,
                          text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def console_session(server):
    """A cookie-keeping client of the server's console that does not follow redirects."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    base = f"http://127.0.0.1:{server.port}"

    def request(path, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            with opener.open(base + path, data=data, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    return request, jar


def sign_in(server, name, password):
    request, jar = console_session(server)
    status, headers, _ = request("/console/sign-in", {"account": name, "password": password})
    return status, headers.get("Location"), request


def first_password(server) -> str:
    found = re.search(r"^\s*ConsolePassword:\s*(\S+)\s*$", server.stdout_path.read_text(), re.M)
    assert found, server.stdout_path.read_text()
    return found.group(1)


def test_the_first_account_gets_a_console_password_printed_once():
    with running_server(prefix="imageshare-console-first-") as server:
        password = first_password(server)
        status, location, _ = sign_in(server, "default", password)
        assert (status, location) == (303, "/console/images")
        status, _, _ = sign_in(server, server.root.account_id, password)
        assert status == 303, "by account ID too"
        server.restart()
        assert "ConsolePassword" not in server.stdout_path.read_text(), "printed on the first start only"


def test_accounts_with_passwords_from_stdin_and_a_changed_password():
    with running_server(prefix="imageshare-console-cli-") as server:
        code, out, err = cli_with_input(server, "accounts", "create", "--name", "alice", "--password-stdin",
                                        stdin="alice's long password\n")
        assert code == 0, err
        alice = json.loads(out)
        status, _, request = sign_in(server, "alice", "alice's long password")
        assert status == 303
        assert request("/console/security")[0] == 200

        code, _, err = cli_with_input(server, "accounts", "set-password", "--account", alice["AccountId"],
                                      stdin="a different passphrase\n")
        assert code == 0, err
        assert request("/console/security")[0] == 303, "the session of the old password ends"
        assert sign_in(server, "alice", "alice's long password")[0] == 401
        assert sign_in(server, "alice", "a different passphrase")[0] == 303

        code, _, err = cli_with_input(server, "accounts", "set-password", "--account", alice["AccountId"], stdin="short\n")
        assert code != 0 and "8 to 72 characters" in err
        code, _, err = cli_with_input(server, "accounts", "set-password", "--account", "1234567890123456",
                                      stdin="long enough password\n")
        assert code != 0 and "no account 1234567890123456" in err


def test_a_disabled_account_can_neither_sign_in_nor_use_its_keys_until_enabled():
    with running_server(prefix="imageshare-console-disable-") as server:
        code, out, err = cli_with_input(server, "accounts", "create", "--name", "bob", "--password-stdin",
                                        stdin="bob's password!\n")
        bob = json.loads(out)
        client = server.client("v3", Account(bob["AccountId"], bob["AccessKeyId"], bob["AccessKeySecret"]))
        client.call("DescribeRegions", {})
        _, _, request = sign_in(server, "bob", "bob's password!")

        code, out, err = cli_with_input(server, "accounts", "disable", "--account", bob["AccountId"], stdin="")
        assert code == 0 and json.loads(out)["Status"] == "Disabled", err
        listed = {a["AccountId"]: a for a in json.loads(subprocess.run(
            [str(wait_for_binary()), "accounts", "list", *server.store_args()], capture_output=True, text=True).stdout)}
        assert listed[bob["AccountId"]]["Status"] == "Disabled"
        with pytest.raises(ApiError) as refused:
            client.call("DescribeRegions", {})
        assert refused.value.code == "Forbidden.AccessKeyDisabled"
        assert request("/console/security")[0] == 303, "the console session ends"
        assert sign_in(server, "bob", "bob's password!")[0] == 401

        code, _, err = cli_with_input(server, "accounts", "enable", "--account", bob["AccountId"], stdin="")
        assert code == 0, err
        client.call("DescribeRegions", {})
        assert sign_in(server, "bob", "bob's password!")[0] == 303
