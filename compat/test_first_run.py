"""What a new user meets first: the CLI's version, help and errors, and log lines that say what happened.

Runs the built binary directly (no SDK needed for most of it)."""
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ApiError, run_cli, running_server, wait_for_binary

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")


def cli(*args, cwd=None, env=None):
    """Run the binary; return (exit code, stdout, stderr) whatever the exit."""
    proc = subprocess.run([str(wait_for_binary()), *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=cwd, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def test_version_is_printed_and_matches_the_startup_line():
    code, out, err = cli("--version")
    assert code == 0, err
    version = out.strip()
    assert VERSION_RE.match(version), out
    with running_server(prefix="imageshare-version-") as server:
        log = server.stderr_path.read_text() + server.stdout_path.read_text()
        assert f"ImageShare {version} listening on http://127.0.0.1:{server.port}" in log, log
        assert "store: SQLite in" in log or "store: PostgreSQL at" in log, log


def test_help_lists_regions_and_puts_every_note_beside_its_option():
    code, out, err = cli("serve", "--help")
    assert code == 0, err
    for region in ("cn-hangzhou", "ap-southeast-1", "us-east-1"):
        assert region in out
    for option in ("--instance-quota", "--max-connections", "--idle-timeout", "--header-timeout", "--body-timeout"):
        assert option in out
    # ArgumentParser prints an option's "discussion" as a separately indented block; every note must be part of
    # the option's own help text, which is aligned in the help column (26 spaces), never at 8.
    for command in (["serve"], ["accounts", "create"], ["keys", "list"]):
        _, text, _ = cli(*command, "--help")
        stray = [line for line in text.splitlines() if re.match(r"^ {8}\S", line)]
        assert not stray, f"{command}: {stray}"
        assert "refuse to start" not in text


def test_accounts_create_prints_the_keys_its_help_promises_in_that_order():
    with running_server(prefix="imageshare-help-") as server:
        _, help_text, _ = cli("accounts", "create", "--help")
        promised = re.findall(r'\\?"(\w+)\\?"', help_text.split("prints", 1)[1].split("\n\n", 1)[0])
        printed = run_cli("accounts", "create", "--name", "ordered", *server.store_args())
        keys = list(json.loads(printed).keys())
        assert promised == keys, (promised, keys)


def test_key_commands_on_an_unknown_account_or_key_fail_with_one_line_and_no_usage():
    with running_server(prefix="imageshare-keys-") as server:
        stranger = "1234567890123456"
        code, out, err = cli("keys", "list", "--account", stranger, *server.store_args())
        assert code != 0 and out == "", (code, out, err)
        assert f"no account {stranger}" in err
        code, out, err = cli("keys", "disable", "--account", server.root.account_id, "--access-key-id", "LTAInothing",
                             *server.store_args())
        assert code != 0, (out, err)
        assert "has no AccessKey LTAInothing" in err
        assert "USAGE" not in err and "SUBCOMMANDS" not in err, err
        # The account's real key still works: nothing was disabled.
        server.client("v3").call("DescribeRegions", {})


def test_a_dry_run_is_logged_as_what_it_is():
    with running_server(prefix="imageshare-dryrun-") as server:
        client = server.client("v2")
        with pytest.raises(ApiError) as raised:
            client.call("DescribeImages", {"RegionId": "cn-hangzhou", "DryRun": True}, raw=True)
        assert raised.value.code == "DryRunOperation"
        server.stop_cleanly()
        log = server.stderr_path.read_text() + server.stdout_path.read_text()
        line = next((entry for entry in log.splitlines() if "DryRunOperation" in entry), "")
        assert "dry run passed" in line and "request failed" not in line, log


def test_admin_commands_without_a_store_say_where_they_looked_and_create_nothing():
    with tempfile.TemporaryDirectory() as elsewhere:
        code, out, err = cli("accounts", "list", cwd=elsewhere)
        assert code != 0 and out == "", (out, err)
        expected = str(Path(elsewhere).resolve() / "imageshare-data")
        assert "no ImageShare store at" in err and "imageshare-data" in err and "--data-dir" in err, err
        assert not Path(expected).exists() and not (Path(elsewhere) / "imageshare-data").exists()
        assert err.count("\n") == 1, f"one line expected: {err!r}"


def test_a_data_directory_that_is_a_file_is_named_in_one_line():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "not-a-dir"
        path.write_text("x")
        code, out, err = cli("serve", "--port", "0", "--data-dir", str(path))
        assert code != 0 and "AccessKeySecret" not in out
        assert f"{path} is a file, not a directory" in err, err
        assert err.count("\n") == 1, err
