"""Fixtures and helpers of the third-party client suite (issue 12).

The server comes from ``compat/conftest.py`` (the parent conftest): one ``imageshare serve`` for the
session (``IMAGESHARE_BIN``), every test makes its own accounts with ``imageshare accounts create``.

Besides the client under test, every test has an independent view of the server: ``Person.sdk``, the
parent suite's legacy-SDK :class:`Actor` (aliyunsdkcore, installed here as footmark's dependency). It
sets things up that the client cannot do (snapshots, shares, decoy instances) and checks what the
client did (the ids it reports exist, other instances were left alone), so a client that silently
swallows an error cannot make a test pass.

How each client reaches ``http://127.0.0.1:PORT`` (see compat/clients/README-section.md):

* libcloud: ``host``/``port``/``secure=False`` driver arguments;
* footmark: no endpoint option; the SDK's own endpoint table
  (``aliyunsdkcore.profile.region_provider.add_endpoint``), in this process;
* ansible-playbook: ``HTTP_PROXY`` in its environment (the modules run footmark in subprocesses);
* aliyun-img-utils: ``HTTP_PROXY`` (set with monkeypatch for the test).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional

import pytest

from conftest import (DEFAULT_REGION, INSTANCE_TYPE, OTHER_REGION, PUBLIC_IMAGE, REPO, Account,
                      Actor, ApiError)

REGION = DEFAULT_REGION          # cn-hangzhou
# two real cn-hangzhou zones: instances are placed in ZONE, decoys in OTHER_ZONE
ZONE = "cn-hangzhou-h"
OTHER_ZONE = "cn-hangzhou-i"
# re-exported for the test modules
__all__ = ["REGION", "ZONE", "OTHER_ZONE", "OTHER_REGION", "PUBLIC_IMAGE", "INSTANCE_TYPE", "ApiError"]

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
EXAMPLES = REPO / "docs" / "examples"
# ansible-playbook and the modules' interpreter: the virtualenv running this suite
VENV_BIN = Path(sys.executable).parent
PLAYBOOK_TIMEOUT = float(os.environ.get("IMAGESHARE_PLAYBOOK_TIMEOUT", "240"))


# --------------------------------------------------------------------------
# hang guard: footmark loops forever on some errors
# --------------------------------------------------------------------------

class ClientHung(BaseException):
    """Raised by :func:`deadline` in the main thread. A BaseException, so that the clients'
    ``except Exception`` retry loops (footmark's allocate_public_ip_address, delete_security_group,
    the start/stop polling loops) cannot swallow it."""


@contextlib.contextmanager
def deadline(seconds: int, what: str) -> Iterator[None]:
    """Fail (instead of hanging CI) when the block runs longer than ``seconds``."""
    def expire(signum, frame):
        raise ClientHung(f"{what} still running after {seconds} s: the client is stuck in a loop "
                         f"(an error it retries forever, or a state it waits for that never comes)")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def fail_on_hang(seconds: int):
    """A module's autouse fixture: every test of the module runs under :func:`deadline`
    (``hang_guard = fail_on_hang(150)`` at module level)."""
    @pytest.fixture(autouse=True)
    def hang_guard(request):
        with deadline(seconds, request.node.name):
            yield
    return hang_guard


# --------------------------------------------------------------------------
# people: an account, its keys, and an independent SDK view
# --------------------------------------------------------------------------

@dataclasses.dataclass
class Person:
    account: Account
    sdk: Actor     # legacy SDK (aliyunsdkcore) pointed straight at the server: setup and checks

    @property
    def id(self) -> str:
        return self.account.account_id

    @property
    def key(self) -> str:
        return self.account.access_key_id

    @property
    def secret(self) -> str:
        return self.account.access_key_secret

    # -- setup steps a client cannot do, through the SDK -------------------------------
    def security_group(self, name: str = "decoy-sg", region: Optional[str] = None) -> str:
        body = self.sdk.call("CreateSecurityGroup", {"SecurityGroupName": name}, region=region,
                             raw=True)
        assert body["SecurityGroupId"].startswith("sg-"), body
        return body["SecurityGroupId"]

    def launch(self, group: str, zone: str = ZONE, image: str = PUBLIC_IMAGE, name: str = "",
               tags: Optional[Dict[str, str]] = None, bandwidth_out: int = 0) -> str:
        """A Running instance through RunInstances (a public IP only with public bandwidth)."""
        params: Dict[str, Any] = {"ImageId": image, "InstanceType": INSTANCE_TYPE, "Amount": 1,
                                  "SecurityGroupId": group, "ZoneId": zone}
        if bandwidth_out:
            params["InternetMaxBandwidthOut"] = bandwidth_out
        if name:
            params["InstanceName"] = name
        for n, (k, v) in enumerate((tags or {}).items(), 1):
            params[f"Tag.{n}.Key"], params[f"Tag.{n}.Value"] = k, v
        body = self.sdk.call("RunInstances", params, raw=True)
        ids = body["InstanceIdSets"]["InstanceIdSet"]
        assert len(ids) == 1, body
        return ids[0]

    def launch_without_public_ip(self, group: str, name: str = "", bandwidth: int = 5) -> str:
        """A Running instance with public bandwidth but no public IP yet, ready for
        AllocatePublicIpAddress: CreateInstance + StartInstance (RunInstances with a bandwidth above 0
        would assign a public IP at once, CreateInstance does not)."""
        params = {"ImageId": PUBLIC_IMAGE, "InstanceType": INSTANCE_TYPE, "SecurityGroupId": group,
                  "ZoneId": ZONE, "InternetMaxBandwidthOut": bandwidth,
                  "InternetChargeType": "PayByTraffic"}
        if name:
            params["InstanceName"] = name
        instance_id = self.sdk.call("CreateInstance", params, raw=True)["InstanceId"]
        self.sdk.start(instance_id)
        return instance_id

    def snapshot(self, disk_id: str, name: str = "") -> str:
        params = {"DiskId": disk_id}
        if name:
            params["SnapshotName"] = name
        body = self.sdk.call("CreateSnapshot", params)
        assert body["SnapshotId"].startswith("s-"), body
        return body["SnapshotId"]

    # -- checks ------------------------------------------------------------------------
    def instance(self, instance_id: str) -> Dict[str, Any]:
        return self.sdk.instance(instance_id)

    def instances(self, ids) -> Dict[str, Dict[str, Any]]:
        return self.sdk.instances(ids)

    def all_instances(self, region: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
        body = self.sdk.call("DescribeInstances", {"PageSize": 100}, region=region)
        return {i["InstanceId"]: i for i in body["Instances"]["Instance"]}

    def tags_of(self, resource_type: str, resource_id: str) -> Dict[str, str]:
        body = self.sdk.call("ListTagResources", {"ResourceType": resource_type,
                                                  "ResourceId.1": resource_id}, raw=True)
        return {t["TagKey"]: t["TagValue"] for t in body["TagResources"]["TagResource"]
                if t["ResourceId"] == resource_id}

    def group_exists(self, group_id: str) -> bool:
        try:
            self.sdk.call("DescribeSecurityGroupAttribute", {"SecurityGroupId": group_id}, raw=True)
        except ApiError as err:
            assert err.code == "InvalidSecurityGroupId.NotFound", err
            return False
        return True

    def env(self, prefix: str) -> Dict[str, str]:
        """``{PREFIX}_AK``, ``{PREFIX}_SK`` and ``{PREFIX}_ID`` for a subprocess."""
        return {f"{prefix}_AK": self.key, f"{prefix}_SK": self.secret, f"{prefix}_ID": self.id}


@pytest.fixture
def person(server) -> Callable[[], Person]:
    """Factory: a fresh account (``imageshare accounts create``) with an SDK view."""
    def make() -> Person:
        account = server.create_account()
        return Person(account, Actor(server, account, "old"))
    return make


@pytest.fixture
def owner(person) -> Person:
    return person()


@pytest.fixture
def recipient(person) -> Person:
    return person()


@pytest.fixture
def endpoint(server) -> str:
    """``127.0.0.1:PORT`` of the session server."""
    return f"127.0.0.1:{server.port}"


# --------------------------------------------------------------------------
# ansible-playbook
# --------------------------------------------------------------------------

def clean_env(**extra: str) -> Dict[str, str]:
    """This process's environment without any proxy or Alibaba Cloud setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
           and not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ALIYUN_", "ANSIBLE_"))}
    env.update(extra)
    return env


@dataclasses.dataclass
class PlaybookRun:
    returncode: int
    output: str
    results: Dict[str, Any]   # what the playbook wrote to {{ results_file }} (empty if nothing)


def run_playbook(server, playbook: Path, env: Dict[str, str], extra_vars: Dict[str, Any],
                 timeout: float = PLAYBOOK_TIMEOUT) -> PlaybookRun:
    """Run a REAL ``ansible-playbook`` (this virtualenv's) against ``server``.

    The ali_* modules have no endpoint option: ``HTTP_PROXY=http://127.0.0.1:PORT`` in the environment
    of ansible-playbook (inherited by the modules it runs on the implicit localhost) makes footmark's
    aliyunsdkcore send ``POST http://ecs-cn-hangzhou.aliyuncs.com/?…`` to the server, which accepts
    absolute-form targets. A playbook may write JSON to ``results_file`` for the test to check."""
    with tempfile.TemporaryDirectory(prefix="imageshare-ansible-") as tmp:
        tmp_path = Path(tmp)
        results_file = tmp_path / "results.json"
        vars_file = tmp_path / "vars.json"
        vars_file.write_text(json.dumps({**extra_vars, "results_file": str(results_file)}))
        run_env = clean_env(
            HTTP_PROXY=f"http://127.0.0.1:{server.port}",
            ANSIBLE_HOME=str(tmp_path / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_LOCALHOST_WARNING="False",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
            ANSIBLE_RETRY_FILES_ENABLED="False",
            ANSIBLE_DEPRECATION_WARNINGS="False",
            # the implicit localhost runs modules with ansible_playbook_python (this venv, with footmark)
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **env)
        argv = [str(VENV_BIN / "ansible-playbook"), str(playbook), "-e", f"@{vars_file}"]
        try:
            proc = subprocess.run(argv, env=run_env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
                else (exc.stdout or "")
            pytest.fail(f"ansible-playbook {playbook.name} did not finish within {timeout:.0f} s\n"
                        f"{out[-6000:]}", pytrace=False)
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, results)


def assert_playbook_ok(run: PlaybookRun, playbook: Path) -> Dict[str, Any]:
    """The run succeeded; on failure show the tail of ansible's output (the failing task and its msg)."""
    assert run.returncode == 0, \
        f"ansible-playbook {playbook.name} failed (exit {run.returncode}):\n{run.output[-8000:]}"
    return run.results
