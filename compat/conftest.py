"""Shared fixtures for the ImageShare SDK compatibility suite.

The suite drives the real ``imageshare`` binary (path from ``IMAGESHARE_BIN``,
default ``<repo>/.build/debug/imageshare``) through three client styles:

* ``v3``  -- new SDK (alibabacloud_ecs20140526), default ACS3-HMAC-SHA256 signing
* ``v2``  -- new SDK with ``Config(signature_algorithm='v2')`` (HMAC-SHA1 RPC signing)
* ``old`` -- legacy aliyun-python-sdk-core ``AcsClient`` (HMAC-SHA1 RPC signing)

Every style is wrapped in a small adapter with one interface::

    client.call(action, params=None, raw=False) -> dict

``raw=False`` goes through the SDK's typed API (model classes / typed request
classes) where the SDK has one for the action, ``raw=True`` (or an action with
no typed binding) goes through the SDK's generic path (``call_api`` /
``CommonRequest``) and returns the JSON body exactly as the server sent it.
Server-side errors are re-raised as :class:`ApiError` carrying
``code``, ``http_status`` and ``request_id``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parent.parent

try:
    from imageshare_pytest import ImageShareError, ServerProcess
except ImportError:  # a virtualenv without the plugin installed (compat/clients): the checkout's copy
    sys.path.insert(0, str(REPO / "clients" / "python"))
    from imageshare_pytest import ImageShareError, ServerProcess
DEFAULT_BIN = REPO / ".build" / "debug" / "imageshare"

API_VERSION = "2014-05-26"
DEFAULT_REGION = "cn-hangzhou"
STYLES = ("v3", "v2", "old")

STARTUP_TIMEOUT = 30.0   # seconds until the server must listen
SHUTDOWN_TIMEOUT = 10.0  # seconds after SIGTERM until the process must be gone
# the binary may be briefly missing while it is rebuilt: wait this long for it
BINARY_WAIT = float(os.environ.get("IMAGESHARE_BIN_WAIT", "60"))
CLI_TIMEOUT = 30.0
READ_TIMEOUT_S = 10
CONNECT_TIMEOUT_S = 5

# PostgreSQL variant: when set, every server runs on a fresh database of this PostgreSQL server
# (``--database``) instead of the embedded SQLite store. ``.ci/run`` sets both.
POSTGRES_URL = os.environ.get("IMAGESHARE_COMPAT_POSTGRES_URL") or None
# the cluster's data directory, for the outage test (stopped and started with scripts/postgres-test-server)
POSTGRES_DIR = os.environ.get("IMAGESHARE_COMPAT_POSTGRES_DIR") or None


def psql(url: str, sql: str) -> str:
    """Run one statement with psql against ``url``."""
    proc = subprocess.run(["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        pytest.fail(f"psql failed: {sql}\n{proc.stderr}", pytrace=False)
    return proc.stdout


def fresh_database_url() -> Optional[str]:
    """A new, empty PostgreSQL database on the configured server, or None on the SQLite run."""
    if POSTGRES_URL is None:
        return None
    name = "compat_" + os.urandom(6).hex()
    psql(POSTGRES_URL, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


class PostgresCluster:
    """The test PostgreSQL server, stopped and started for the outage test."""

    def __init__(self, url: str, data_dir: str):
        self.port = urllib.parse.urlsplit(url).port
        self.data_dir = data_dir
        self.script = str(REPO / "scripts" / "postgres-test-server")

    def stop(self) -> None:
        subprocess.run([self.script, "stop", self.data_dir], check=True, timeout=60)

    def start(self) -> None:
        subprocess.run([self.script, "start", self.data_dir, str(self.port)], check=True,
                       capture_output=True, timeout=60)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Control of the test PostgreSQL server; it is running again when the block ends."""
    assert POSTGRES_URL and POSTGRES_DIR, "set IMAGESHARE_COMPAT_POSTGRES_URL and IMAGESHARE_COMPAT_POSTGRES_DIR"
    cluster = PostgresCluster(POSTGRES_URL, POSTGRES_DIR)
    try:
        yield cluster
    finally:
        cluster.start()


def pytest_collection_modifyitems(config, items):
    # Two-node tests need a shared PostgreSQL database; the SQLite run leaves them out (they are
    # deselected there, not skipped).
    if POSTGRES_URL is None:
        kept = [item for item in items if item.get_closest_marker("multinode") is None]
        deselected = [item for item in items if item.get_closest_marker("multinode") is not None]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept


# --------------------------------------------------------------------------
# binary / CLI helpers
# --------------------------------------------------------------------------

def binary_path() -> Path:
    return Path(os.environ.get("IMAGESHARE_BIN") or DEFAULT_BIN)


def wait_for_binary(timeout: float = BINARY_WAIT) -> Path:
    """Return the binary path, waiting while it is (briefly) absent."""
    path = binary_path()
    deadline = time.monotonic() + timeout
    while True:
        if path.is_file() and os.access(path, os.X_OK):
            return path
        if time.monotonic() >= deadline:
            pytest.fail(f"imageshare binary not found/executable at {path} "
                        f"(set IMAGESHARE_BIN)", pytrace=False)
        time.sleep(0.5)


def _popen_retrying(argv: List[str], **kwargs) -> subprocess.Popen:
    """Start the binary; tolerate it being replaced under our feet by a rebuild."""
    deadline = time.monotonic() + BINARY_WAIT
    while True:
        wait_for_binary()
        try:
            return subprocess.Popen(argv, **kwargs)
        except OSError as exc:  # ENOENT / ETXTBSY while the linker rewrites it
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def run_cli(*args: str) -> str:
    """Run ``imageshare <args>``; return stdout, fail the test on a non-zero exit."""
    argv = [str(binary_path()), *args]
    proc = _popen_retrying(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, text=True)
    try:
        out, err = proc.communicate(timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"CLI timed out: {' '.join(args)}\nstdout:\n{out}\nstderr:\n{err}")
    if proc.returncode != 0:
        pytest.fail(f"CLI failed (exit {proc.returncode}): imageshare {' '.join(args)}\n"
                    f"stdout:\n{out}\nstderr:\n{err}")
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class Account:
    account_id: str
    access_key_id: str
    access_key_secret: str

    @classmethod
    def from_cli_json(cls, text: str) -> "Account":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(lines) == 1, f"expected exactly one JSON line, got: {text!r}"
        obj = json.loads(lines[0])
        for key in ("AccessKeyId", "AccessKeySecret", "AccountId"):
            assert isinstance(obj.get(key), str) and obj[key], f"{key} missing in {obj!r}"
        return cls(obj["AccountId"], obj["AccessKeyId"], obj["AccessKeySecret"])

    def with_secret(self, secret: str) -> "Account":
        return dataclasses.replace(self, access_key_secret=secret)

    def with_key_id(self, access_key_id: str) -> "Account":
        return dataclasses.replace(self, access_key_id=access_key_id)


_CRED_RE = re.compile(r"^\s*(AccountId|AccessKeyId|AccessKeySecret)\s*:\s*(\S+)\s*$", re.M)


class ImageShareServer:
    """One ``imageshare serve`` process on a loopback port, run by the pytest plugin's ``ServerProcess``
    (``clients/python``): the compat suite starts every server the way users of the plugin do."""

    def __init__(self, data_dir: Path, log_dir: Path, serve_args: tuple = (),
                 database_url: Optional[str] = None, name: str = "serve"):
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        # extra `imageshare serve` options, e.g. ("--image-build-seconds", "2")
        self.serve_args = tuple(str(a) for a in serve_args)
        # PostgreSQL database of this server (None: the embedded store in data_dir)
        self.database_url = database_url if database_url is not None else fresh_database_url()
        self.name = name
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self.root: Optional[Account] = None  # first account, known after the first start
        self.process = ServerProcess(str(binary_path()), [], log_dir=str(self.log_dir), name=name,
                                     startup_timeout=STARTUP_TIMEOUT)

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> "ImageShareServer":
        assert self.proc is None, "server already running"
        # the binary may be rebuilt between starts: wait for it, and retry while the linker rewrites it
        self.process.binary = str(wait_for_binary())
        self.process.serve_args = [*self.store_args(), *self.serve_args]
        deadline = time.monotonic() + BINARY_WAIT
        while True:
            try:
                self.port = self.process.start()
                break
            except OSError:  # ENOENT / ETXTBSY
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)
            except ImageShareError as failure:
                self.proc = None
                pytest.fail(f"{failure}\n{self._logs()}", pytrace=False)
        self.proc = self.process.process
        self.stdout_path = Path(self.process.stdout_path)
        self.stderr_path = Path(self.process.stderr_path)
        if self.root is None:
            self.root = self._read_first_account()
        return self

    def _logs(self) -> str:
        def tail(p: Path) -> str:
            try:
                return p.read_text(errors="replace")[-4000:]
            except OSError:
                return "<unreadable>"
        return f"--- stdout ---\n{tail(self.stdout_path)}\n--- stderr ---\n{tail(self.stderr_path)}"

    def _read_first_account(self) -> Account:
        # stdout may be flushed slightly after the listener is up
        deadline = time.monotonic() + 5
        while True:
            found = dict(_CRED_RE.findall(self.stdout_path.read_text(errors="replace")))
            if len(found) == 3:
                return Account(found["AccountId"], found["AccessKeyId"], found["AccessKeySecret"])
            if time.monotonic() >= deadline:
                pytest.fail("could not parse the first account's credentials from "
                            f"`imageshare serve` stdout\n{self._logs()}", pytrace=False)
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM the server; return its exit code. Fails if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"imageshare serve did not exit within {SHUTDOWN_TIMEOUT}s of SIGTERM\n"
                        f"{self._logs()}", pytrace=False)

    def stop_cleanly(self) -> None:
        rc = self.stop()
        assert rc == 0, f"imageshare serve exited with {rc} after SIGTERM\n{self._logs()}"

    def restart(self) -> "ImageShareServer":
        self.stop_cleanly()
        return self.start()

    def _kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
            self.proc = None

    # -- CLI against the same store ------------------------------------------
    def store_args(self) -> List[str]:
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database", self.database_url]
        return args

    def create_account(self, name: Optional[str] = None) -> Account:
        args = ["accounts", "create", *self.store_args()]
        if name:
            args += ["--name", name]
        return Account.from_cli_json(run_cli(*args))

    def list_accounts(self) -> list:
        return json.loads(run_cli("accounts", "list", *self.store_args()))

    def create_key(self, account_id: str) -> Account:
        return Account.from_cli_json(
            run_cli("keys", "create", "--account", account_id, *self.store_args()))

    def disable_key(self, account: Account) -> None:
        run_cli("keys", "disable", "--account", account.account_id,
                "--access-key-id", account.access_key_id, *self.store_args())

    def enable_key(self, account: Account) -> None:
        run_cli("keys", "enable", "--account", account.account_id,
                "--access-key-id", account.access_key_id, *self.store_args())

    # -- clients -------------------------------------------------------------
    def client(self, style: str, account: Optional[Account] = None,
               region: str = DEFAULT_REGION) -> "Client":
        return make_client(style, self.port, account or self.root, region)


@contextlib.contextmanager
def running_server(prefix: str = "imageshare-compat-",
                   serve_args: tuple = ()) -> Iterator[ImageShareServer]:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    data_dir, log_dir = tmp / "data", tmp / "logs"
    log_dir.mkdir()
    srv = ImageShareServer(data_dir, log_dir, serve_args)
    ok = False
    try:
        srv.start()
        yield srv
        srv.stop_cleanly()
        ok = True
    finally:
        srv._kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def running_nodes(count: int = 2) -> Iterator[List[ImageShareServer]]:
    """``count`` servers on one fresh PostgreSQL database, sharing one secret key file."""
    assert POSTGRES_URL, "several nodes need IMAGESHARE_COMPAT_POSTGRES_URL"
    tmp = Path(tempfile.mkdtemp(prefix="imageshare-nodes-"))
    data_dir, log_dir = tmp / "data", tmp / "logs"
    log_dir.mkdir()
    database = fresh_database_url()
    nodes: List[ImageShareServer] = []
    ok = False
    try:
        for index in range(count):
            node = ImageShareServer(data_dir, log_dir, database_url=database, name=f"node-{chr(97 + index)}")
            if nodes:
                node.root = nodes[0].root  # only the first start on an empty store prints an account
            nodes.append(node.start())
        yield nodes
        for node in nodes:
            node.stop_cleanly()
        ok = True
    finally:
        for node in nodes:
            node._kill()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------
# uniform client adapters
# --------------------------------------------------------------------------

class ApiError(Exception):
    """A server-side error as seen through any of the three SDK styles."""

    def __init__(self, style: str, code: str, http_status: Optional[int],
                 request_id: Optional[str], message: str, original: BaseException):
        super().__init__(f"[{style}] HTTP {http_status} {code}: {message} (RequestId {request_id})")
        self.style = style
        self.code = code
        self.http_status = http_status
        self.request_id = request_id
        self.message = message
        self.original = original


# actions that go through the SDKs' typed request classes when raw=False
TYPED_ACTIONS = frozenset({
    "DescribeRegions", "DescribeImages", "CreateImage", "CopyImage", "CancelCopyImage",
    "DeleteImage", "ModifyImageAttribute", "ModifyImageSharePermission",
    "DescribeImageSharePermission", "RunInstances", "CreateInstance", "DescribeInstances",
    "StartInstance", "StopInstance", "DeleteInstance", "ReplaceSystemDisk", "ReInitDisk",
    "DescribeDisks", "CreateSnapshot", "DescribeSnapshots",
})


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def flatten_params(params: Dict[str, Any]) -> Dict[str, Any]:
    """ECS RPC flattening of structured parameters: ``{"AddAccount": ["1", "2"]}``
    -> ``AddAccount.1``, ``AddAccount.2``; ``{"Tag": [{"Key": "k"}]}`` -> ``Tag.1.Key``;
    ``{"SystemDisk": {"Size": 40}}`` -> ``SystemDisk.Size``. Scalars pass unchanged
    (the SDKs stringify them; booleans become ``True``/``False``)."""
    out: Dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value, 1):
                walk(f"{prefix}.{index}", item)
        elif value is not None:
            out[prefix] = value

    walk("", params)
    return out


class Client:
    style: str

    def call(self, action: str, params: Optional[Dict[str, Any]] = None, *,
             raw: bool = False) -> Dict[str, Any]:
        raise NotImplementedError


# ---- new SDK (alibabacloud_ecs20140526 / alibabacloud_tea_openapi) ----------

class NewSdkClient(Client):
    def __init__(self, style: str, port: int, account: Account, region: str):
        from alibabacloud_ecs20140526.client import Client as EcsClient
        from alibabacloud_tea_openapi.utils_models import Config

        assert style in ("v3", "v2")
        self.style = style
        kwargs = dict(
            access_key_id=account.access_key_id,
            access_key_secret=account.access_key_secret,
            endpoint=f"127.0.0.1:{port}",
            protocol="http",
            region_id=region,
            read_timeout=READ_TIMEOUT_S * 1000,
            connect_timeout=CONNECT_TIMEOUT_S * 1000,
        )
        if style == "v2":
            kwargs["signature_algorithm"] = "v2"
        self.sdk = EcsClient(Config(**kwargs))

    # typed bindings: action -> (request model, *_with_options method name)
    @staticmethod
    def _typed(action: str):
        from alibabacloud_ecs20140526 import models as m
        if action not in TYPED_ACTIONS:
            return None
        return (getattr(m, f"{action}Request"), f"{_snake(action)}_with_options")

    @staticmethod
    def _typed_request(model_cls, params: Dict[str, Any]):
        """Build the SDK request model from ``params`` (structured: lists for
        ``AddAccount``/``Tag``/..., dicts for ``SystemDisk``). A parameter the
        model does not know is a test bug -- except ``RegionId`` on the models
        that have none (StartInstance, ReInitDisk, ...): the SDK never sends it,
        so neither do we."""
        request = model_cls().from_map(params)
        known = set(request.to_map())
        dropped = set(params) - known
        if "RegionId" in dropped and not hasattr(request, "region_id"):
            dropped.discard("RegionId")
        assert not dropped, f"{model_cls.__name__} has no field(s) {sorted(dropped)}"
        return request

    def call(self, action, params=None, *, raw=False):
        from alibabacloud_tea_openapi import exceptions as oe
        from darabonba.runtime import RuntimeOptions

        params = dict(params or {})
        typed = None if raw else self._typed(action)
        try:
            if typed is not None:
                model_cls, method = typed
                request = self._typed_request(model_cls, params)
                response = getattr(self.sdk, method)(request, RuntimeOptions())
                self.last_typed = response
                assert response.status_code == 200, response.status_code
                return response.body.to_map()
            return self.call_api(action, params)
        except oe.AlibabaCloudException as exc:
            raise ApiError(self.style, exc.code, exc.status_code, exc.request_id,
                           str(exc.message), exc) from exc

    def call_api(self, action: str, params: Dict[str, Any]) -> Dict[str, Any]:
        from alibabacloud_tea_openapi.utils import Utils
        from alibabacloud_tea_openapi.utils_models import OpenApiRequest, Params
        from darabonba.runtime import RuntimeOptions

        api = Params(action=action, version=API_VERSION, protocol="HTTP", pathname="/",
                     method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                     body_type="json")
        result = self.sdk.call_api(api, OpenApiRequest(query=Utils.query(params)),
                                   RuntimeOptions())
        assert result["statusCode"] == 200, result
        return result["body"]


# ---- old SDK (aliyun-python-sdk-core / aliyun-python-sdk-ecs) ---------------

class OldSdkClient(Client):
    style = "old"

    def __init__(self, port: int, account: Account, region: str):
        from aliyunsdkcore.client import AcsClient

        self.port = port
        self.sdk = AcsClient(account.access_key_id, account.access_key_secret, region,
                             port=port, timeout=READ_TIMEOUT_S,
                             connect_timeout=CONNECT_TIMEOUT_S)
        self.last_request = None

    @staticmethod
    def _typed(action: str):
        import importlib
        if action not in TYPED_ACTIONS:
            return None
        module = importlib.import_module(f"aliyunsdkecs.request.v20140526.{action}Request")
        return getattr(module, f"{action}Request")

    def build_request(self, action: str, params: Optional[Dict[str, Any]] = None, *,
                      raw: bool = False):
        params = dict(params or {})
        typed = None if raw else self._typed(action)
        if typed is not None:
            request = typed()
            for key, value in params.items():
                setter = getattr(request, f"set_{key}", None)
                if setter is None and isinstance(value, (list, tuple)):
                    # RepeatList setters are plural: set_AddAccounts, set_Tags, ...
                    setter = getattr(request, f"set_{key}s", None)
                if setter is not None:
                    setter(list(value) if isinstance(value, tuple) else value)
                else:
                    for flat_key, flat_value in flatten_params({key: value}).items():
                        request.add_query_param(flat_key, flat_value)
        else:
            from aliyunsdkcore.request import CommonRequest
            request = CommonRequest()
            request.set_domain("127.0.0.1")
            request.set_version(API_VERSION)
            request.set_action_name(action)
            request.set_method("POST")
            for key, value in flatten_params(params).items():
                request.add_query_param(key, value)
        request.set_endpoint("127.0.0.1")
        return request

    def send(self, request) -> Dict[str, Any]:
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        self.last_request = request
        try:
            body = self.sdk.do_action_with_exception(request)
        except ServerException as exc:
            raise ApiError(self.style, exc.get_error_code(), exc.get_http_status(),
                           exc.get_request_id(), exc.get_error_msg(), exc) from exc
        return json.loads(body)

    def call(self, action, params=None, *, raw=False):
        return self.send(self.build_request(action, params, raw=raw))

    def get_response(self, request):
        """(status, headers, body) without the JSON/exception handling (e.g. for XML)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.sdk.get_response(request)


def make_client(style: str, port: int, account: Account, region: str = DEFAULT_REGION) -> Client:
    if style in ("v3", "v2"):
        return NewSdkClient(style, port, account, region)
    if style == "old":
        return OldSdkClient(port, account, region)
    raise ValueError(style)


# --------------------------------------------------------------------------
# SDK clock / nonce hooks (what each SDK really uses to stamp a request)
# --------------------------------------------------------------------------

def patch_timestamp(monkeypatch, style: str, when_epoch: float) -> None:
    """Make the given SDK style stamp its requests with ``when_epoch`` (UTC)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when_epoch))
    if style in ("v3", "v2"):
        # V2: query param Timestamp; V3: header x-acs-date -- both from Utils.get_timestamp()
        from alibabacloud_tea_openapi.utils import Utils
        monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: stamp))
    else:
        # rpc_signature_composer stamps Timestamp via parameter_helper.get_iso_8061_date()
        from aliyunsdkcore.utils import parameter_helper
        monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stamp)


def patch_nonce(monkeypatch, style: str, nonce: str) -> None:
    """Make the given SDK style sign every request with the fixed ``nonce``."""
    if style in ("v3", "v2"):
        # V2: query param SignatureNonce; V3: header x-acs-signature-nonce
        from alibabacloud_tea_openapi.utils import Utils
        monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: nonce))
    else:
        from aliyunsdkcore.utils import parameter_helper
        monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def server() -> Iterator[ImageShareServer]:
    """The shared server for the whole session (clean SIGTERM shutdown is asserted)."""
    with running_server() as srv:
        yield srv


@pytest.fixture(params=STYLES)
def style(request) -> str:
    return request.param


@pytest.fixture
def client(server, style) -> Client:
    """A client of the parametrised style signed with the first account's key."""
    return server.client(style)


@pytest.fixture
def make_style_client(server, style) -> Callable[..., Client]:
    """Build a client of the parametrised style for another account / key."""
    def factory(account: Account, region: str = DEFAULT_REGION) -> Client:
        return server.client(style, account, region)
    return factory


@pytest.fixture
def create_account(server) -> Callable[..., Account]:
    """Create an account with ``imageshare accounts create`` while the server runs."""
    return server.create_account


@pytest.fixture
def fresh_server() -> Iterator[ImageShareServer]:
    """A function-scoped server on its own data dir (for restart tests)."""
    with running_server(prefix="imageshare-compat-fn-") as srv:
        yield srv


@pytest.fixture
def start_server() -> Iterator[Callable[..., ImageShareServer]]:
    """Start extra servers with non-default ``serve`` options, e.g.
    ``start_server("--custom-image-quota", 2)``; all are stopped (cleanly) at teardown."""
    with contextlib.ExitStack() as stack:
        def start(*serve_args) -> ImageShareServer:
            return stack.enter_context(
                running_server(prefix="imageshare-compat-opt-", serve_args=tuple(serve_args)))
        yield start


# --------------------------------------------------------------------------
# image / instance helpers for the sharing suites
# --------------------------------------------------------------------------

PUBLIC_IMAGE = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"
INSTANCE_TYPE = "ecs.g7.large"
OTHER_REGION = "cn-shanghai"
# actions whose new-SDK models carry no RegionId: never send one
REGIONLESS_ACTIONS = frozenset({"DescribeRegions", "StartInstance", "StopInstance",
                                "DeleteInstance", "ReplaceSystemDisk", "ReInitDisk",
                                "CreateSnapshot"})


def expect_error(fn: Callable[[], Any], code: str, http_status: int) -> ApiError:
    """Run ``fn``; it must fail with server error ``code`` and ``http_status``
    (and carry a RequestId). Returns the :class:`ApiError`."""
    try:
        result = fn()
    except ApiError as err:
        assert (err.code, err.http_status) == (code, http_status), \
            f"[{err.style}] expected {code} (HTTP {http_status}), got {err.code} " \
            f"(HTTP {err.http_status}): {err.message}"
        assert err.request_id and err.request_id != "None", \
            f"[{err.style}] error {err.code} carries no RequestId"
        return err
    pytest.fail(f"expected {code} (HTTP {http_status}), but the call succeeded: {result!r}")


def images_in(body: Dict[str, Any]) -> List[Dict[str, Any]]:
    images = body["Images"]["Image"]
    assert isinstance(images, list), f"Images.Image must be a list: {images!r}"
    return images


class Actor:
    """One account driven through one client style, with small ECS helpers.

    ``call`` adds ``RegionId`` (the actor's default region unless ``region=`` is
    given) except on the actions whose SDK models have none.
    """

    def __init__(self, server: ImageShareServer, account: Account, style: str,
                 region: str = DEFAULT_REGION):
        self.server = server
        self.account = account
        self.style = style
        self.region = region
        self._clients: Dict[str, Client] = {}
        self._builders: Dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Actor({self.account.account_id}, {self.style})"

    @property
    def id(self) -> str:
        return self.account.account_id

    def client(self, region: Optional[str] = None) -> Client:
        region = region or self.region
        if region not in self._clients:
            self._clients[region] = self.server.client(self.style, self.account, region)
        return self._clients[region]

    def call(self, action: str, params: Optional[Dict[str, Any]] = None, *,
             region: Optional[str] = None, raw: bool = False) -> Dict[str, Any]:
        params = dict(params or {})
        if action not in REGIONLESS_ACTIONS:
            params.setdefault("RegionId", region or self.region)
        return self.client(region).call(action, params, raw=raw)

    # -- images ------------------------------------------------------------
    def describe_images(self, region: Optional[str] = None, **filters) -> List[Dict[str, Any]]:
        """All matching images (one page of 100; the suites stay well below that)."""
        filters.setdefault("PageSize", 100)
        body = self.call("DescribeImages", filters, region=region)
        images = images_in(body)
        assert body["TotalCount"] == len(images), (body["TotalCount"], len(images))
        return images

    def image_ids(self, region: Optional[str] = None, **filters) -> set:
        return {image["ImageId"] for image in self.describe_images(region, **filters)}

    def custom_image_ids(self, region: Optional[str] = None, **filters) -> set:
        return {image["ImageId"] for image in self.describe_images(region, **filters)
                if image["ImageOwnerAlias"] != "system"}

    def image(self, image_id: str, region: Optional[str] = None, **filters) -> Dict[str, Any]:
        images = self.describe_images(region, ImageId=image_id, **filters)
        assert [i["ImageId"] for i in images] == [image_id], images
        return images[0]

    def builder(self, region: Optional[str] = None) -> str:
        """A running instance from the public image, used as CreateImage source."""
        region = region or self.region
        if region not in self._builders:
            self._builders[region] = self.run_instances(PUBLIC_IMAGE, region=region)[0]
        return self._builders[region]

    def create_image(self, region: Optional[str] = None, **params) -> str:
        region = region or self.region
        if not any(k in params for k in ("InstanceId", "SnapshotId", "DiskDeviceMapping")):
            params["InstanceId"] = self.builder(region)
        body = self.call("CreateImage", params, region=region)
        assert body["ImageId"].startswith("m-"), body
        return body["ImageId"]

    def share(self, image_id: str, add=(), remove=(), region: Optional[str] = None,
              **params) -> Dict[str, Any]:
        if add:
            params["AddAccount"] = [getattr(a, "id", a) for a in add]
        if remove:
            params["RemoveAccount"] = [getattr(a, "id", a) for a in remove]
        params["ImageId"] = image_id
        return self.call("ModifyImageSharePermission", params, region=region)

    def share_permission(self, image_id: str, region: Optional[str] = None,
                         **params) -> Dict[str, Any]:
        params["ImageId"] = image_id
        return self.call("DescribeImageSharePermission", params, region=region)

    def shared_accounts(self, image_id: str, region: Optional[str] = None) -> List[str]:
        """Every AliyunId the image is shared with, in server order (all pages)."""
        ids: List[str] = []
        page = 1
        while True:
            body = self.share_permission(image_id, region, PageSize=100, PageNumber=page)
            accounts = body["Accounts"]["Account"]
            ids += [a["AliyunId"] for a in accounts]
            if len(ids) >= body["TotalCount"] or not accounts:
                return ids
            page += 1

    def delete_image(self, image_id: str, region: Optional[str] = None, **params):
        params["ImageId"] = image_id
        return self.call("DeleteImage", params, region=region)

    # -- instances / disks ---------------------------------------------------
    def run_instances(self, image_id: str, amount: int = 1, region: Optional[str] = None,
                      **params) -> List[str]:
        params.update(ImageId=image_id, InstanceType=params.get("InstanceType", INSTANCE_TYPE),
                      Amount=amount)
        body = self.call("RunInstances", params, region=region)
        ids = body["InstanceIdSets"]["InstanceIdSet"]
        assert isinstance(ids, list) and len(ids) == amount, body
        return ids

    def create_instance(self, image_id: str, region: Optional[str] = None, **params) -> str:
        params.update(ImageId=image_id, InstanceType=params.get("InstanceType", INSTANCE_TYPE))
        body = self.call("CreateInstance", params, region=region)
        assert body["InstanceId"].startswith("i-"), body
        return body["InstanceId"]

    def instances(self, ids, region: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
        body = self.call("DescribeInstances",
                         {"InstanceIds": json.dumps(list(ids)), "PageSize": 100}, region=region)
        return {i["InstanceId"]: i for i in body["Instances"]["Instance"]}

    def instance(self, instance_id: str, region: Optional[str] = None) -> Dict[str, Any]:
        found = self.instances([instance_id], region)
        assert list(found) == [instance_id], found
        return found[instance_id]

    def stop(self, instance_id: str):
        return self.call("StopInstance", {"InstanceId": instance_id})

    def start(self, instance_id: str):
        return self.call("StartInstance", {"InstanceId": instance_id})

    def delete_instance(self, instance_id: str, force: bool = True):
        return self.call("DeleteInstance", {"InstanceId": instance_id, "Force": force})

    def system_disk(self, instance_id: str, region: Optional[str] = None) -> Dict[str, Any]:
        body = self.call("DescribeDisks", {"InstanceId": instance_id, "DiskType": "system"},
                         region=region)
        disks = body["Disks"]["Disk"]
        assert len(disks) == 1, disks
        return disks[0]

    def disk(self, disk_id: str, region: Optional[str] = None) -> Dict[str, Any]:
        body = self.call("DescribeDisks", {"DiskIds": json.dumps([disk_id])}, region=region)
        disks = body["Disks"]["Disk"]
        assert [d["DiskId"] for d in disks] == [disk_id], disks
        return disks[0]

    def reinit(self, disk_id: str, **params):
        params["DiskId"] = disk_id
        return self.call("ReInitDisk", params)

    def replace_system_disk(self, instance_id: str, image_id: str, **params) -> str:
        params.update(InstanceId=instance_id, ImageId=image_id)
        body = self.call("ReplaceSystemDisk", params)
        assert body["DiskId"].startswith("d-"), body
        return body["DiskId"]


def make_actor_factory(server: ImageShareServer, style: str) -> Callable[..., Actor]:
    def new_actor(region: str = DEFAULT_REGION) -> Actor:
        return Actor(server, server.create_account(), style, region)
    return new_actor


@pytest.fixture
def new_actor(server, style) -> Callable[..., Actor]:
    """Create a fresh account (via the CLI) on the session server, driven through
    the parametrised client style: ``owner, friend = new_actor(), new_actor()``."""
    return make_actor_factory(server, style)
