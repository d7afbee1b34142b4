"""Hardening of `imageshare serve` and the admin commands, driven through the binary itself.

* the data directory (0700) and every file in it (0600) stay private whatever the umask; a directory or key
  file that others can read is refused with the `chmod` that fixes it;
* a store refuses to start without its own secret key and never makes a new one for an existing store;
* admin commands never create a store; `IMAGESHARE_DATA_DIR` is honoured;
* two servers and an admin command racing on a new data directory end with one key that works everywhere;
* a port in use is a clean usage error; header, idle and body timeouts and `--max-connections` hold;
  a low open-file limit is reported;
* (PostgreSQL) a second node needs the first node's key file.

On the PostgreSQL run (IMAGESHARE_COMPAT_POSTGRES_URL) every store here is a fresh database plus a data
directory holding only the key file; on the SQLite run it is the embedded store in the data directory.
"""
from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from conftest import (_CRED_RE, Account, _popen_retrying, free_port, fresh_database_url,
                      make_client, psql, wait_for_binary)

STARTUP_TIMEOUT = 20.0
REFUSAL_TIMEOUT = 15.0
CLI_TIMEOUT = 30.0
SQLITE_FILES = ("imageshare.sqlite", "imageshare.sqlite-wal", "imageshare.sqlite-shm")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def describe_dir(path: Path) -> str:
    if not path.exists():
        return f"{path}: does not exist"
    lines = [f"{oct(mode_of(path))} {path}"]
    for entry in sorted(path.iterdir()):
        lines.append(f"{oct(mode_of(entry))} {entry.name}")
    return "\n".join(lines)


def umask(value: int):
    return lambda: os.umask(value)


class Serve:
    """One `imageshare serve` process with its output in files (shown in every failure message)."""

    def __init__(self, log_dir: Path, data_dir: Optional[Path], database: Optional[str], *extra,
                 port: Optional[int] = None, preexec_fn=None, env: Optional[Dict[str, str]] = None,
                 cwd: Optional[Path] = None, name: str = "serve"):
        self.port = port if port is not None else free_port()
        self.argv = [str(wait_for_binary()), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if data_dir is not None:
            self.argv += ["--data-dir", str(data_dir)]
        if database:
            self.argv += ["--database", database]
        self.argv += [str(a) for a in extra]
        self.preexec_fn, self.env, self.cwd = preexec_fn, env, cwd
        log_dir.mkdir(parents=True, exist_ok=True)
        index = 1
        while (log_dir / f"{name}-{index}.stdout").exists():
            index += 1
        self.stdout_path = log_dir / f"{name}-{index}.stdout"
        self.stderr_path = log_dir / f"{name}-{index}.stderr"
        self.proc: Optional[subprocess.Popen] = None

    def launch(self) -> "Serve":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = _popen_retrying(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        preexec_fn=self.preexec_fn, env=self.env, cwd=self.cwd)
        return self

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def logs(self) -> str:
        rc = None if self.proc is None else self.proc.poll()
        return (f"$ {' '.join(self.argv)}\n(exit code: {rc})\n--- stdout ---\n{self.stdout[-3000:]}\n"
                f"--- stderr ---\n{self.stderr[-3000:]}")

    def healthz(self, timeout: float = 1.0) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=timeout) as resp:
            return f"{resp.status} {resp.read().decode(errors='replace').strip()}"

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT, context: str = "") -> "Serve":
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"imageshare serve exited before answering /healthz\n{self.logs()}"
                            f"{context}", pytrace=False)
            try:
                last = self.healthz()
                if last == "200 ok":
                    return self
            except (urllib.error.URLError, OSError) as exc:
                last = exc
            time.sleep(0.05)
        pytest.fail(f"imageshare serve did not answer /healthz with ok within {timeout}s (last: {last})\n"
                    f"{self.logs()}{context}", pytrace=False)

    def start(self) -> "Serve":
        return self.launch().wait_healthy()

    def wait_exit(self, timeout: float = REFUSAL_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"imageshare serve was expected to exit within {timeout}s but kept running\n"
                        f"{self.logs()}", pytrace=False)

    def refused(self) -> Tuple[int, str, str]:
        """Run to completion; it must exit non-zero. Returns (exit code, stdout, stderr)."""
        rc = self.launch().wait_exit()
        assert rc > 0, f"imageshare serve should refuse to start (exit code > 0)\n{self.logs()}"
        return rc, self.stdout, self.stderr

    def first_account(self, timeout: float = 5.0) -> Optional[Account]:
        deadline = time.monotonic() + timeout
        while True:
            found = dict(_CRED_RE.findall(self.stdout))
            if len(found) == 3:
                return Account(found["AccountId"], found["AccessKeyId"], found["AccessKeySecret"])
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def root(self) -> Account:
        account = self.first_account()
        assert account is not None, f"serve printed no first account\n{self.logs()}"
        return account

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"imageshare serve did not exit within 10s of SIGTERM\n{self.logs()}", pytrace=False)
        assert rc == 0, f"imageshare serve exited with {rc} after SIGTERM\n{self.logs()}"

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)


@pytest.fixture
def serves(tmp_path):
    """``serves(data_dir, *extra, **kw)`` builds a Serve (not yet launched); all are killed at teardown."""
    made: List[Serve] = []

    def make(data_dir, *extra, database=None, **kw) -> Serve:
        srv = Serve(tmp_path / "logs", data_dir, database, *extra, **kw)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.kill()


def cli(*args, preexec_fn=None, env=None, cwd=None) -> subprocess.CompletedProcess:
    argv = [str(wait_for_binary()), *[str(a) for a in args]]
    proc = _popen_retrying(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           text=True, preexec_fn=preexec_fn, env=env, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"CLI timed out: {' '.join(argv)}\nstdout:\n{out}\nstderr:\n{err}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def shown(proc: subprocess.CompletedProcess) -> str:
    return f"$ {' '.join(proc.args)}\n(exit code {proc.returncode})\n--- stdout ---\n{proc.stdout}\n" \
           f"--- stderr ---\n{proc.stderr}"


def cli_ok(*args, **kw) -> str:
    proc = cli(*args, **kw)
    assert proc.returncode == 0, f"CLI failed\n{shown(proc)}"
    return proc.stdout


def store_args(data_dir: Path, database: Optional[str]) -> List[str]:
    return ["--data-dir", str(data_dir)] + (["--database", database] if database else [])


def account_ids(data_dir: Path, database: Optional[str]) -> List[str]:
    return sorted(a["AccountId"] for a in json.loads(cli_ok("accounts", "list", *store_args(data_dir, database))))


def signed_call_works(port: int, account: Account, context: str) -> None:
    try:
        body = make_client("v3", port, account).call("DescribeRegions", {})
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        pytest.fail(f"signed DescribeRegions through port {port} failed: {exc!r}\n{context}", pytrace=False)
    assert body["Regions"]["Region"], f"DescribeRegions returned no region: {body}\n{context}"


def private_store_files(data_dir: Path, context: str) -> List[str]:
    """Every entry of data_dir is a regular file of mode 0600 and no temporary key file is left."""
    assert mode_of(data_dir) == 0o700, f"data directory is not 0700\n{describe_dir(data_dir)}\n{context}"
    names = []
    for entry in data_dir.iterdir():
        assert entry.is_file() and not entry.is_symlink(), \
            f"unexpected non-file {entry}\n{describe_dir(data_dir)}\n{context}"
        assert mode_of(entry) == 0o600, f"{entry.name} is not 0600\n{describe_dir(data_dir)}\n{context}"
        assert not entry.name.startswith(".secret.key"), \
            f"temporary key file left behind\n{describe_dir(data_dir)}\n{context}"
        names.append(entry.name)
    return names


def write_key(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


def database_tables(database: str) -> List[str]:
    return psql(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").split()


# --------------------------------------------------------------------------
# 1. file modes whatever the umask
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask022", "umask000"])
def test_new_data_directory_and_files_are_private_whatever_the_umask(tmp_path, serves, mask):
    database = fresh_database_url()
    data_dir = tmp_path / "data"
    srv = serves(data_dir, database=database, preexec_fn=umask(mask)).start()
    srv.root()
    expected = {"secret.key"} if database else {"secret.key", *SQLITE_FILES}
    # the SQLite side files exist while the store is open; give them a moment
    deadline = time.monotonic() + 3
    while not expected <= set(os.listdir(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    names = private_store_files(data_dir, f"while serving\n{srv.logs()}")
    assert expected <= set(names), f"expected {sorted(expected)} while serving\n{describe_dir(data_dir)}"

    srv.stop()
    names = private_store_files(data_dir, f"after the server stopped\n{srv.logs()}")
    assert "secret.key" in names, describe_dir(data_dir)
    assert len((data_dir / "secret.key").read_bytes()) == 32, describe_dir(data_dir)

    # an admin command run under the same umask on the stopped store keeps the files private too
    proc = cli("accounts", "create", *store_args(data_dir, database), preexec_fn=umask(mask))
    assert proc.returncode == 0, shown(proc)
    private_store_files(data_dir, f"after `accounts create` under umask {oct(mask)}\n{shown(proc)}")


# --------------------------------------------------------------------------
# 2. a directory or key file others can read is refused
# --------------------------------------------------------------------------

def test_group_readable_directory_or_key_file_is_refused(tmp_path, serves):
    database = fresh_database_url()

    # an existing, empty directory others can read: refused before anything is created
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o755)
    srv = serves(loose, database=database)
    _, out, err = srv.refused()
    assert f"chmod 700 {loose}" in err, srv.logs()
    assert out == "", f"nothing may be printed on stdout\n{srv.logs()}"
    assert list(loose.iterdir()) == [], f"refused serve left files\n{describe_dir(loose)}\n{srv.logs()}"
    if database:
        assert database_tables(database) == [], f"refused serve created tables\n{srv.logs()}"

    # an existing store
    data_dir = tmp_path / "data"
    first = serves(data_dir, database=database).start()
    root = first.root()
    first.stop()
    before = account_ids(data_dir, database)
    assert root.account_id in before

    os.chmod(data_dir, 0o755)
    srv = serves(data_dir, database=database)
    _, out, err = srv.refused()
    assert str(data_dir) in err and f"chmod 700 {data_dir}" in err, srv.logs()
    assert out == "", f"nothing may be printed on stdout\n{srv.logs()}"
    os.chmod(data_dir, 0o700)

    key = data_dir / "secret.key"
    os.chmod(key, 0o644)
    srv = serves(data_dir, database=database)
    _, out, err = srv.refused()
    assert str(key) in err and f"chmod 600 {key}" in err, srv.logs()
    assert out == "", f"nothing may be printed on stdout\n{srv.logs()}"
    os.chmod(key, 0o600)

    assert account_ids(data_dir, database) == before, "a refused start changed the accounts"
    srv = serves(data_dir, database=database).start()
    assert srv.first_account(timeout=0.3) is None, f"a second start printed a new first account\n{srv.logs()}"
    assert account_ids(data_dir, database) == before, f"accounts changed\n{srv.logs()}"
    signed_call_works(srv.port, root, srv.logs())
    srv.stop()


# --------------------------------------------------------------------------
# 3. the store's own key, and only it
# --------------------------------------------------------------------------

def test_missing_or_foreign_key_is_refused_and_the_original_key_works(tmp_path, serves):
    database = fresh_database_url()
    data_dir = tmp_path / "data"
    key = data_dir / "secret.key"
    first = serves(data_dir, database=database).start()
    root = first.root()
    first.stop()
    original = key.read_bytes()
    assert len(original) == 32

    key.unlink()
    srv = serves(data_dir, database=database)
    _, out, err = srv.refused()
    assert "secret.key" in err and "missing" in err, srv.logs()
    assert "AccessKeySecret" not in out, srv.logs()
    assert not key.exists(), f"serve made a new key for an existing store\n{describe_dir(data_dir)}\n{srv.logs()}"
    assert not any(p.name.startswith(".secret.key") for p in data_dir.iterdir()), describe_dir(data_dir)

    foreign = os.urandom(32)
    assert foreign != original
    write_key(key, foreign)
    srv = serves(data_dir, database=database)
    _, out, err = srv.refused()
    assert "does not belong to this store" in err, srv.logs()
    assert "AccessKeySecret" not in out, srv.logs()
    assert key.read_bytes() == foreign, "the refused start rewrote the key file"

    write_key(key, original)
    srv = serves(data_dir, database=database).start()
    assert srv.first_account(timeout=0.3) is None, f"restart printed a new first account\n{srv.logs()}"
    signed_call_works(srv.port, root, srv.logs())
    srv.stop()


# --------------------------------------------------------------------------
# 4. admin commands never create a store; IMAGESHARE_DATA_DIR
# --------------------------------------------------------------------------

ADMIN_COMMANDS = [
    ("accounts", "list"),
    ("accounts", "create"),
    ("keys", "list", "--account", "1234567890123456"),
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_admin_commands_never_create_a_store(tmp_path, command):
    database = fresh_database_url()

    missing = tmp_path / "missing"
    proc = cli(*command, *store_args(missing, database))
    assert proc.returncode > 0, shown(proc)
    assert f"no ImageShare store at {missing}" in proc.stderr and "--data-dir" in proc.stderr, shown(proc)
    assert "AccessKeySecret" not in proc.stdout, shown(proc)
    assert not missing.exists(), f"the command created {missing}\n{shown(proc)}"

    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    os.chmod(empty, 0o700)
    proc = cli(*command, *store_args(empty, database))
    assert proc.returncode > 0, shown(proc)
    if database:
        # the store is the database here: the command names it instead of the directory
        assert "no ImageShare store" in proc.stderr, shown(proc)
        assert database_tables(database) == [], f"the command created tables\n{shown(proc)}"
    else:
        assert f"no ImageShare store at {empty}" in proc.stderr and "--data-dir" in proc.stderr, shown(proc)
    assert "AccessKeySecret" not in proc.stdout, shown(proc)
    assert list(empty.iterdir()) == [], f"the command wrote into the empty directory\n" \
                                        f"{describe_dir(empty)}\n{shown(proc)}"
    assert mode_of(empty) == 0o700


def test_imageshare_data_dir_environment_is_honoured(tmp_path, serves):
    database = fresh_database_url()
    data_dir = tmp_path / "env-data"
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = dict(os.environ, IMAGESHARE_DATA_DIR=str(data_dir))
    env.pop("IMAGESHARE_DATABASE", None)
    extra = ("--database", database) if database else ()

    srv = serves(None, *extra, env=env, cwd=cwd).start()
    root = srv.root()
    assert (data_dir / "secret.key").is_file(), f"{describe_dir(data_dir)}\n{srv.logs()}"
    proc = cli("accounts", "list", *extra, env=env, cwd=cwd)
    assert proc.returncode == 0, shown(proc)
    assert root.account_id in [a["AccountId"] for a in json.loads(proc.stdout)], shown(proc)
    srv.stop()
    assert list(cwd.iterdir()) == [], f"files appeared in the working directory: {list(cwd.iterdir())}\n{srv.logs()}"
    assert not (cwd / "imageshare-data").exists()


# --------------------------------------------------------------------------
# 5. two servers and an admin command racing on a new data directory
# --------------------------------------------------------------------------

CRASH_MARKERS = ("Fatal error", "Traceback", "Segmentation", "backtrace", "Illegal instruction", "panic")


def test_two_servers_and_an_admin_command_racing_on_a_new_data_directory(tmp_path, serves):
    for round_no in range(5):
        database = fresh_database_url()
        data_dir = tmp_path / f"race-{round_no}"
        a = serves(data_dir, database=database, name=f"race{round_no}-a")
        b = serves(data_dir, database=database, name=f"race{round_no}-b")
        results: Dict[str, subprocess.CompletedProcess] = {}
        barrier = threading.Barrier(3)

        def go_serve(srv: Serve) -> None:
            barrier.wait()
            srv.launch()

        def go_cli() -> None:
            barrier.wait()
            results["cli"] = cli("accounts", "create", *store_args(data_dir, database))

        threads = [threading.Thread(target=go_serve, args=(a,)), threading.Thread(target=go_serve, args=(b,)),
                   threading.Thread(target=go_cli)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=CLI_TIMEOUT + 5)
        assert a.proc is not None and b.proc is not None and "cli" in results, \
            f"round {round_no}: a start did not happen\n{a.logs()}\n{b.logs()}"
        proc = results["cli"]
        for srv, other in ((a, b), (b, a)):
            srv.wait_healthy(context=f"\n(round {round_no} of the race; the other server:)\n{other.logs()}"
                                     f"\n[accounts create]\n{shown(proc)}")
        context = f"round {round_no}\n[server a]\n{a.logs()}\n[server b]\n{b.logs()}\n" \
                  f"[accounts create]\n{shown(proc)}"
        assert proc.returncode >= 0 and not any(m in proc.stderr for m in CRASH_MARKERS), context
        created: Optional[Account] = None
        if proc.returncode == 0:
            created = Account.from_cli_json(proc.stdout)
        else:
            errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error")]
            assert errors and all("no ImageShare store" in ln for ln in errors), context
            assert proc.stdout.strip() == "", context

        names = private_store_files(data_dir, context)
        assert names.count("secret.key") == 1 and len((data_dir / "secret.key").read_bytes()) == 32, \
            f"{describe_dir(data_dir)}\n{context}"

        printed = [(srv, srv.first_account(timeout=3 if srv is a else 0.3)) for srv in (a, b)]
        printed = [(srv, acct) for srv, acct in printed if acct is not None]
        assert len(printed) == 1, f"exactly one server must print the first account\n{context}"
        root = printed[0][1]
        for srv in (a, b):
            signed_call_works(srv.port, root, context)
            if created is not None:
                signed_call_works(srv.port, created, context)
        a.stop()
        b.stop()


# --------------------------------------------------------------------------
# 6. a port in use
# --------------------------------------------------------------------------

def test_port_in_use_is_a_clean_usage_error(tmp_path, serves):
    first = serves(tmp_path / "first", database=fresh_database_url()).start()
    new_dir = tmp_path / "second"
    second = serves(new_dir, database=fresh_database_url(), port=first.port)
    started = time.monotonic()
    rc = second.launch().wait_exit(timeout=5)
    elapsed = time.monotonic() - started
    assert rc > 0, second.logs()
    assert elapsed < 5, second.logs()
    assert (f"port {first.port} on 127.0.0.1 is already in use; choose another with --port"
            in second.stderr), second.logs()
    assert "AccessKeySecret" not in second.stdout, second.logs()
    assert not new_dir.exists(), f"the refused server created its data directory\n{describe_dir(new_dir)}\n" \
                                 f"{second.logs()}"
    assert first.healthz() == "200 ok", first.logs()
    first.stop()


# --------------------------------------------------------------------------
# 7. connection limits
# --------------------------------------------------------------------------

def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def wait_closed(sock: socket.socket, timeout: float) -> Tuple[bool, float, bytes]:
    """Read until the server closes (EOF or reset). Returns (closed, seconds waited, bytes received)."""
    started = time.monotonic()
    data = b""
    while True:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            return False, time.monotonic() - started, data
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            try:
                chunk = sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                return True, time.monotonic() - started, data
            if not chunk:
                return True, time.monotonic() - started, data
            data += chunk


def drip(sock: socket.socket, interval: float, timeout: float) -> Tuple[bool, float, bytes]:
    """Send one byte every ``interval`` s until the server closes. Returns (closed, seconds, bytes received)."""
    started = time.monotonic()
    data = b""
    while time.monotonic() - started < timeout:
        try:
            sock.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):
            return True, time.monotonic() - started, data
        tick = time.monotonic() + interval
        while (left := tick - time.monotonic()) > 0:
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                break
            try:
                chunk = sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                return True, time.monotonic() - started, data
            if not chunk:
                return True, time.monotonic() - started, data
            data += chunk
    return False, time.monotonic() - started, data


def read_response(sock: socket.socket, timeout: float) -> Tuple[str, bytes]:
    """One HTTP/1.1 response with a Content-Length. Raises AssertionError on EOF or timeout."""
    deadline = time.monotonic() + timeout
    buf = b""

    def more() -> None:
        nonlocal buf
        left = deadline - time.monotonic()
        readable = select.select([sock], [], [], max(left, 0))[0] if left > 0 else []
        assert readable, f"no complete response within {timeout}s (got {buf!r})"
        chunk = sock.recv(4096)
        assert chunk, f"connection closed before a complete response (got {buf!r})"
        buf += chunk

    while b"\r\n\r\n" not in buf:
        more()
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        buf_before = len(buf)
        more()
        body += buf[buf_before:]
    return lines[0], body[:length]


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def test_header_timeout_closes_silent_and_slow_header_connections(tmp_path, serves):
    srv = serves(tmp_path / "data", "--header-timeout", 1, "--idle-timeout", 30,
                 database=fresh_database_url()).start()
    with connect(srv.port) as silent:
        closed, waited, data = wait_closed(silent, timeout=6)
    assert closed, f"a connection that sent nothing stayed open {waited:.1f}s (header timeout 1s)\n{srv.logs()}"
    assert 0.5 <= waited <= 3.5, f"silent connection closed after {waited:.2f}s, expected ~1-3s\n{srv.logs()}"

    with connect(srv.port) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        closed, waited, data = drip(slow, interval=0.3, timeout=6)
    assert closed, f"headers dripped for {waited:.1f}s without being cut off (header timeout 1s); " \
                   f"received {data!r}\n{srv.logs()}"
    assert 0.5 <= waited <= 3.5, f"slow headers cut after {waited:.2f}s, expected ~1-3s\n{srv.logs()}"
    assert b"200" not in data.split(b"\r\n", 1)[0], f"unfinished headers were answered: {data!r}"
    assert srv.healthz() == "200 ok", srv.logs()
    srv.stop()


def test_idle_timeout_closes_idle_keep_alive_but_not_busy_ones(tmp_path, serves):
    srv = serves(tmp_path / "data", "--idle-timeout", 1, "--header-timeout", 10,
                 database=fresh_database_url()).start()
    with connect(srv.port) as idle:
        idle.sendall(HEALTHZ)
        status, body = read_response(idle, timeout=3)
        assert status.startswith("HTTP/1.1 200") and body.strip() == b"ok", (status, body, srv.logs())
        closed, waited, data = wait_closed(idle, timeout=6)
    assert closed, f"idle keep-alive connection stayed open {waited:.1f}s (idle timeout 1s)\n{srv.logs()}"
    assert 0.5 <= waited <= 3.5, f"idle connection closed after {waited:.2f}s, expected ~1-3s\n{srv.logs()}"

    with connect(srv.port) as busy:
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < 3.2:
            busy.sendall(HEALTHZ)
            try:
                status, body = read_response(busy, timeout=2)
            except AssertionError as exc:
                pytest.fail(f"busy keep-alive connection lost after {time.monotonic() - started:.2f}s "
                            f"and {answered} answers: {exc}\n{srv.logs()}", pytrace=False)
            assert status.startswith("HTTP/1.1 200") and body.strip() == b"ok", (status, body, srv.logs())
            answered += 1
            time.sleep(0.5)
    assert answered >= 6, f"only {answered} requests answered in 3s\n{srv.logs()}"
    srv.stop()


def test_body_timeout_closes_a_slowly_dripped_body(tmp_path, serves):
    srv = serves(tmp_path / "data", "--body-timeout", 1, "--header-timeout", 30, "--idle-timeout", 30,
                 database=fresh_database_url()).start()
    with connect(srv.port) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        closed, waited, data = drip(slow, interval=0.3, timeout=6)
    assert closed, f"body dripped for {waited:.1f}s without being cut off (body timeout 1s); " \
                   f"received {data!r}\n{srv.logs()}"
    assert 0.5 <= waited <= 3.5, f"slow body cut after {waited:.2f}s, expected ~1-3s\n{srv.logs()}"
    assert srv.healthz() == "200 ok", srv.logs()
    srv.stop()


def test_max_connections_makes_further_clients_wait(tmp_path, serves):
    srv = serves(tmp_path / "data", "--max-connections", 3, "--header-timeout", 5,
                 database=fresh_database_url()).start()
    time.sleep(0.2)  # let the health check's connection be released
    held = [connect(srv.port) for _ in range(3)]
    try:
        time.sleep(0.3)
        with connect(srv.port) as fourth:
            fourth.sendall(HEALTHZ)
            early = select.select([fourth], [], [], 1.0)[0]
            assert not early, f"a 4th connection was answered while 3 were open " \
                              f"(--max-connections 3): {fourth.recv(4096)!r}\n{srv.logs()}"
            held.pop().close()
            released = time.monotonic()
            status, body = read_response(fourth, timeout=2.5)
            waited = time.monotonic() - released
            assert status.startswith("HTTP/1.1 200") and body.strip() == b"ok", (status, body, srv.logs())
            assert waited <= 2.5, f"the 4th connection waited {waited:.2f}s after a slot was freed"
    finally:
        for sock in held:
            sock.close()
    srv.stop()


# --------------------------------------------------------------------------
# 8. open-file limit
# --------------------------------------------------------------------------

FD_WARNING = "the open-file limit is lower than --max-connections needs"


def low_nofile() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


@pytest.mark.parametrize("max_connections, warned", [(1000, True), (100, False)])
def test_low_open_file_limit_is_reported(tmp_path, serves, max_connections, warned):
    srv = serves(tmp_path / "data", "--max-connections", max_connections, database=fresh_database_url(),
                 preexec_fn=low_nofile).start()
    srv.root()
    # the listener's start is logged after the start-up checks; give the log a moment to reach the file
    deadline = time.monotonic() + 3
    while "listening" not in srv.stdout + srv.stderr and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    output = srv.stdout + srv.stderr
    if warned:
        assert FD_WARNING in output, f"no open-file warning with RLIMIT_NOFILE 256 and " \
                                     f"--max-connections {max_connections}\n{srv.logs()}"
    else:
        assert FD_WARNING not in output, f"open-file warning with RLIMIT_NOFILE 256 and " \
                                         f"--max-connections {max_connections}\n{srv.logs()}"
    srv.stop()


# --------------------------------------------------------------------------
# 9. PostgreSQL: a second node needs the first node's key
# --------------------------------------------------------------------------

@pytest.mark.multinode
def test_second_node_needs_the_first_nodes_key(tmp_path, serves):
    database = fresh_database_url()
    first_dir = tmp_path / "node-a"
    first = serves(first_dir, database=database, name="node-a").start()
    root = first.root()
    key = (first_dir / "secret.key").read_bytes()

    second_dir = tmp_path / "node-b"
    srv = serves(second_dir, database=database, name="node-b")
    _, out, err = srv.refused()
    assert "missing" in err, srv.logs()
    assert "AccessKeySecret" not in out, srv.logs()
    assert not (second_dir / "secret.key").exists(), \
        f"a second node made its own key\n{describe_dir(second_dir)}\n{srv.logs()}"

    second_dir.mkdir(exist_ok=True)
    os.chmod(second_dir, 0o700)
    foreign = os.urandom(32)
    write_key(second_dir / "secret.key", foreign)
    srv = serves(second_dir, database=database, name="node-b")
    _, out, err = srv.refused()
    assert "does not belong to this store" in err, srv.logs()
    assert "AccessKeySecret" not in out, srv.logs()

    write_key(second_dir / "secret.key", key)
    srv = serves(second_dir, database=database, name="node-b").start()
    assert srv.first_account(timeout=0.3) is None, f"the second node printed a new first account\n{srv.logs()}"
    signed_call_works(srv.port, root, srv.logs())
    signed_call_works(first.port, root, first.logs())
    srv.stop()
    first.stop()
