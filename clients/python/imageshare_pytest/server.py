"""One ImageShare process in memory, and its test control endpoint."""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

REGION = "cn-hangzhou"
LISTENING = re.compile(r"listening on (https?)://([0-9.]+):(\d+)")


class ImageShareError(RuntimeError):
    """The server did not start, or the control endpoint refused a request."""


@dataclass(frozen=True)
class Account:
    """An account whose credentials the test knows."""

    name: str
    account_id: str
    access_key_id: str
    access_key_secret: str


def find_binary(explicit: Optional[str] = None) -> str:
    """``explicit``, else ``$IMAGESHARE_BIN``, else ``imageshare`` on the PATH."""
    candidate = explicit or os.environ.get("IMAGESHARE_BIN") or shutil.which("imageshare")
    if not candidate or not os.access(candidate, os.X_OK):
        raise ImageShareError("no imageshare binary: pass --imageshare-bin, set IMAGESHARE_BIN or put it on the PATH")
    return candidate


class ServerProcess:
    """One ``imageshare serve`` process on a port the system picks (``--port 0``): started, found listening
    from its log line, and stopped with SIGTERM (or killed). Standard output and error go to files when
    ``log_dir`` is given (for servers that print credentials or run long); the recent lines stay in ``log``."""

    def __init__(self, binary: Optional[str], serve_args: List[str], log_dir: Optional[str] = None,
                 name: str = "serve", startup_timeout: float = 30.0):
        self.binary = find_binary(binary)
        self.serve_args = list(serve_args)
        self.log_dir = log_dir
        self.name = name
        self.startup_timeout = startup_timeout
        self.process: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.starts = 0
        self.stdout_path: Optional[str] = None
        self.stderr_path: Optional[str] = None
        self.log: collections.deque = collections.deque(maxlen=2000)

    # The port is read from the server's `listening on` line, which it logs at level notice.
    QUIET_LEVELS = {"warning", "error", "critical"}

    def start(self) -> int:
        """Starts the process and returns its port once it listens; raises ``ImageShareError`` with the log's
        tail if it exits or does not listen in time."""
        assert self.process is None or self.process.poll() is not None, "already running"
        levels = [value for flag, value in zip(self.serve_args, self.serve_args[1:]) if flag == "--log-level"]
        if levels and levels[-1] in self.QUIET_LEVELS:
            raise ImageShareError(f"--log-level {levels[-1]} hides the line that tells the port: use notice or lower")
        self.starts += 1
        self.port = None
        argv = [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", *self.serve_args]
        if self.log_dir:
            # Straight to files, so that a busy server never waits for this process to read its log.
            self.stdout_path = os.path.join(self.log_dir, f"{self.name}-{self.starts}.stdout")
            self.stderr_path = os.path.join(self.log_dir, f"{self.name}-{self.starts}.stderr")
            with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
                self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            self.port = self._port_from_file(self.stderr_path)
        else:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE)
            self.port = self._port_from_pipe(self.process)
        if self.port is None:
            self.kill()
            raise ImageShareError(f"imageshare serve did not start ({self.exit_description()}):\n" + self.log_tail())
        return self.port

    def _note(self, line: str) -> Optional[int]:
        self.log.append(line)
        match = LISTENING.search(line)
        return int(match.group(3)) if match and "ImageShare" in line else None

    def _port_from_file(self, path: str) -> Optional[int]:
        deadline = time.monotonic() + self.startup_timeout
        with open(path, "rb") as log:
            pending = b""
            while time.monotonic() < deadline:
                chunk = log.read()
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    port = self._note(raw.decode(errors="replace"))
                    if port is not None:
                        return port
                if not chunk:
                    if self.process.poll() is not None:
                        return None
                    time.sleep(0.02)
        return None

    def _port_from_pipe(self, process: subprocess.Popen) -> Optional[int]:
        found = threading.Event()

        def read_log() -> None:
            assert process.stderr
            for raw in process.stderr:
                port = self._note(raw.decode(errors="replace").rstrip("\n"))
                if port is not None and self.port is None:
                    self.port = port
                    found.set()
            found.set()

        threading.Thread(target=read_log, daemon=True).start()
        found.wait(self.startup_timeout)
        return self.port

    def exit_description(self) -> str:
        code = self.process.poll() if self.process else None
        return "still running" if code is None else f"exited with {code}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(list(self.log)[-lines:])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then the exit code; kills it and raises if it does not exit within ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise ImageShareError(f"imageshare serve did not exit within {timeout}s of SIGTERM") from None

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait(10)


class ImageShare:
    """``imageshare serve --in-memory`` with ``accounts`` known accounts and a control token; use as a context
    manager or call ``start()`` and ``stop()``. ``seed`` makes IDs and RequestIds reproducible; ``fixtures``
    is a state file loaded at start and at every reset."""

    def __init__(self, binary: Optional[str] = None, accounts: int = 2, extra_args: Optional[List[str]] = None,
                 startup_timeout: float = 30.0, seed: Optional[int] = None, fixtures: Optional[str] = None):
        self.token = secrets.token_hex(24)
        self.accounts = [
            Account(f"account-{n}", f"{1000000000000000 + n}", f"LTAIimageshare{n:010d}", secrets.token_urlsafe(24))
            for n in range(1, accounts + 1)
        ]
        argv = ["--in-memory", "--admin-token", self.token, *(extra_args or [])]
        if seed is not None:
            argv += ["--seed", str(seed)]
        if fixtures is not None:
            argv += ["--fixtures", str(fixtures)]
        for account in self.accounts:
            argv += ["--account", f"{account.name}:{account.account_id}:{account.access_key_id}:{account.access_key_secret}"]
        self.server = ServerProcess(binary, argv, startup_timeout=startup_timeout)
        self.binary = self.server.binary

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "ImageShare":
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> "ImageShare":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> Optional[int]:
        return self.server.port

    @property
    def log(self) -> collections.deque:
        """The server's recent log lines (one per request at the default level)."""
        return self.server.log

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT``, what the SDKs take as their endpoint."""
        return f"127.0.0.1:{self.port}"

    # -- the control endpoint ----------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.endpoint}/_imageshare/{path}", data=data, method=method,
                                         headers={"X-ImageShare-Admin-Token": self.token,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise ImageShareError(f"{method} /_imageshare/{path}: {error.code} {error.read().decode()}") from None

    def reset(self, empty: bool = False) -> None:
        """Forget everything; the fixtures file and the known accounts come back unless ``empty``. Also puts the
        clock back, offers every start region again, drops every fault and (with a seed) starts the IDs again.
        Saved snapshots stay."""
        self.control("POST", "reset", {"Empty": empty})

    def advance_clock(self, seconds: float) -> Dict[str, Any]:
        return self.control("POST", "clock", {"AdvanceSeconds": seconds})

    def inject_fault(self, action: str, *, code: Optional[str] = None, status: int = 400,
                     message: Optional[str] = None, delay_ms: Optional[int] = None, throttle: Optional[str] = None,
                     count: Optional[int] = None, account_id: Optional[str] = None,
                     image_id: Optional[str] = None) -> int:
        """Make the next ``count`` calls of ``action`` (all, without a count) fail with ``code``/``status``,
        answer ``delay_ms`` late, or be throttled at ``throttle`` (``"RATE/BURST"``); optionally only for one
        account or one image. Returns the fault's id."""
        body: Dict[str, Any] = {"Action": action}
        if code is not None:
            body.update(Code=code, Status=status)
            if message is not None:
                body["Message"] = message
        if delay_ms is not None:
            body["DelayMilliseconds"] = delay_ms
        if throttle is not None:
            body["Throttle"] = throttle
        for key, value in (("Count", count), ("AccountId", account_id), ("ImageId", image_id)):
            if value is not None:
                body[key] = value
        return self.control("POST", "faults", body)["FaultId"]

    def fail_next_build(self, action: str = "CreateImage", *, count: int = 1, account_id: Optional[str] = None,
                        image_id: Optional[str] = None) -> int:
        """The next ``count`` CreateImage (or CopyImage) calls succeed, but their images end in ``CreateFailed``
        (after ``--image-build-seconds``, or at once). Dry runs do not use it up. Returns the fault's id."""
        body: Dict[str, Any] = {"Action": action, "Count": count, "CreateFailed": True}
        if account_id is not None:
            body["AccountId"] = account_id
        if image_id is not None:
            body["ImageId"] = image_id
        return self.control("POST", "faults", body)["FaultId"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    # snapshots, state files and regions

    def save_snapshot(self, name: str) -> Dict[str, Any]:
        """Keeps a copy of the whole state under ``name`` (in the server's memory; replaces one of that name)."""
        return self.control("POST", f"snapshots/{name}")

    def restore_snapshot(self, name: str) -> Dict[str, Any]:
        """Replaces the whole state with the snapshot; used nonces, the clock and faults stay as they are."""
        return self.control("POST", f"snapshots/{name}/restore")

    def delete_snapshot(self, name: str) -> None:
        self.control("DELETE", f"snapshots/{name}")

    def snapshots(self) -> List[Dict[str, Any]]:
        return self.control("GET", "snapshots")["Snapshots"]

    def export_state(self, path: Optional[str] = None) -> Dict[str, Any]:
        """The whole state as a state file (``--fixtures`` and ``imageshare state import`` take it); written
        to ``path`` (mode 0600: it holds secrets) when given."""
        state = self.control("GET", "state")
        if path is not None:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                json.dump(state, out, indent=2, sort_keys=True)
        return state

    def import_state(self, state: Any) -> None:
        """Replaces the whole state with a state file's (a dict, or the path of a file)."""
        if not isinstance(state, dict):
            with open(state) as source:
                state = json.load(source)
        self.control("POST", "state", state)

    def set_regions(self, region_ids: List[str]) -> List[str]:
        """Offer only these regions (of those the server started with) until the next reset."""
        return self.control("POST", "regions", {"RegionIds": list(region_ids)})["RegionIds"]

    def regions(self) -> List[str]:
        return self.control("GET", "regions")["RegionIds"]

    def create_account(self, name: str) -> Account:
        made = self.control("POST", "accounts", {"Name": name})
        return Account(name, made["AccountId"], made["AccessKeyId"], made["AccessKeySecret"])

    # -- SDK clients ---------------------------------------------------------------------------------------

    def client(self, account: Account, region: str = REGION, **config: Any):
        """A new-SDK (alibabacloud_ecs20140526) client for ``account``; ``config`` goes to its ``Config``."""
        from alibabacloud_ecs20140526.client import Client
        from alibabacloud_tea_openapi.models import Config
        return Client(Config(access_key_id=account.access_key_id, access_key_secret=account.access_key_secret,
                             region_id=region, endpoint=self.endpoint, protocol="http", **config))

    def old_client(self, account: Account, region: str = REGION):
        """An old-SDK (aliyunsdkcore) ``AcsClient`` for ``account``; send requests with ``set_endpoint`` done
        by ``old_request``."""
        from aliyunsdkcore.client import AcsClient
        return AcsClient(account.access_key_id, account.access_key_secret, region, port=self.port)

    def old_request(self, request):
        """Points an old-SDK request at this server over HTTP."""
        from aliyunsdkcore.http import protocol_type
        request.set_endpoint("127.0.0.1")
        request.set_protocol_type(protocol_type.HTTP)
        return request
