"""One ImageShare process in memory, and its test control endpoint."""

from __future__ import annotations

import collections
import json
import os
import re
import secrets
import shutil
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


class ImageShare:
    """``imageshare serve --in-memory`` with ``accounts`` known accounts; use as a context manager or call
    ``start()`` and ``stop()``."""

    def __init__(self, binary: Optional[str] = None, accounts: int = 2, extra_args: Optional[List[str]] = None,
                 startup_timeout: float = 30.0):
        self.binary = find_binary(binary)
        self.token = secrets.token_hex(24)
        self.accounts = [
            Account(f"account-{n}", f"{1000000000000000 + n}", f"LTAIimageshare{n:010d}", secrets.token_urlsafe(24))
            for n in range(1, accounts + 1)
        ]
        self.extra_args = list(extra_args or [])
        self.startup_timeout = startup_timeout
        self.process: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        # The server logs a line per request: keep the recent ones, for start-up errors and debugging.
        self.log: collections.deque = collections.deque(maxlen=2000)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> "ImageShare":
        argv = [self.binary, "serve", "--in-memory", "--port", "0", "--admin-token", self.token, *self.extra_args]
        for account in self.accounts:
            argv += ["--account", f"{account.name}:{account.account_id}:{account.access_key_id}:{account.access_key_secret}"]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        found = threading.Event()

        def read_log() -> None:
            assert self.process and self.process.stderr
            for line in self.process.stderr:
                self.log.append(line.rstrip("\n"))
                match = LISTENING.search(line)
                if match and "ImageShare" in line:
                    self.port = int(match.group(3))
                    found.set()
            found.set()

        threading.Thread(target=read_log, daemon=True).start()
        if not found.wait(self.startup_timeout) or self.port is None:
            self.stop()
            raise ImageShareError("imageshare did not start:\n" + "\n".join(list(self.log)[-20:]))
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "ImageShare":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

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
        """Forget everything; the known accounts come back unless ``empty``. Also puts the clock back and
        drops every fault."""
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

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

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
