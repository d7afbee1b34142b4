"""HTTPS: `imageshare serve --tls-cert CERT.pem --tls-key KEY.pem` serves the API, /healthz and the console over
TLS on its one port.

A throw-away CA and a server certificate for 127.0.0.1 and localhost are made at test time (with the `openssl`
command if there is one, else the `cryptography` package) in the test's temporary directory; nothing is kept.

How the SDKs are pointed at HTTPS with a private CA (what these tests do):

* new SDK: ``Config(..., protocol="https", ca="/path/ca.pem")`` (or per call ``RuntimeOptions(ca=...)``);
  darabonba hands the path to requests as ``verify=``. Caveat: darabonba caches one requests session (and one
  SSL context) per ``https://host:port``, and loading the CA into it is permanent, so a later client *without*
  the CA to the same host:port in the same process is trusted too -- the refusal test clears
  ``DaraCore._sessions`` first.
* old SDK: ``AcsClient(..., verify="/path/ca.pem")`` or ``client.set_verify(path)`` (or the environment variable
  ``ALIBABA_CLOUD_CA_BUNDLE``; ``REQUESTS_CA_BUNDLE`` is *not* read), and per request
  ``request.set_protocol_type(aliyunsdkcore.http.protocol_type.HTTPS)``.
"""
from __future__ import annotations

import datetime
import gc
import http.cookiejar
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, Optional

import pytest

from conftest import (DEFAULT_REGION, READ_TIMEOUT_S, CONNECT_TIMEOUT_S, Account, Actor, ApiError,
                      NewSdkClient, OldSdkClient, fresh_database_url, make_client)
from test_operations import read_reply, serves  # noqa: F401  (serves is a fixture)
from test_server_hardening import HEALTHZ, Serve, cli_ok, store_args

REGION = DEFAULT_REGION


# --------------------------------------------------------------------------
# a throw-away PKI
# --------------------------------------------------------------------------

def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _openssl(*args: str) -> None:
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"openssl {' '.join(args)} failed:\n{proc.stderr}"


def make_ca_openssl(directory: Path, name: str) -> Dict[str, Path]:
    key, cert = directory / f"{name}-ca.key", directory / f"{name}-ca.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", f"/CN=ImageShare compat test CA {name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    os.chmod(key, 0o600)
    return {"key": key, "cert": cert}


def make_server_cert_openssl(directory: Path, ca: Dict[str, Path], name: str) -> Dict[str, Path]:
    key, csr, cert, ext = (directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem",
                           directory / f"{name}.ext")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    os.chmod(key, 0o600)
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca["cert"]), "-CAkey", str(ca["key"]), "-CAcreateserial",
             "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return {"key": key, "cert": cert}


def make_key_openssl(path: Path) -> Path:
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path))
    os.chmod(path, 0o600)
    return path


def make_ca_cryptography(directory: Path, name: str) -> Dict[str, object]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ImageShare compat test CA {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}-ca.key", directory / f"{name}-ca.pem"
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"key": key_path, "cert": cert_path, "_key": key, "_cert": cert}


def make_server_cert_cryptography(directory: Path, ca: Dict[str, object], name: str) -> Dict[str, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca["_cert"].subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca["_key"], hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"key": key_path, "cert": cert_path}


def make_key_cryptography(path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


def pki_tool() -> Optional[str]:
    if shutil.which("openssl"):
        return "openssl"
    try:
        import cryptography  # noqa: F401
        return "cryptography"
    except ImportError:
        return None


def make_pki(directory: Path, tool: str) -> Dict[str, Path]:
    """ca: the CA the clients trust; cert/key: the server's; other_ca: a CA nobody should trust;
    other_key: a key that matches no certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    if tool == "openssl":
        ca, other = make_ca_openssl(directory, "trusted"), make_ca_openssl(directory, "other")
        server = make_server_cert_openssl(directory, ca, "server")
        other_key = make_key_openssl(directory / "unrelated.key")
    else:
        ca, other = make_ca_cryptography(directory, "trusted"), make_ca_cryptography(directory, "other")
        server = make_server_cert_cryptography(directory, ca, "server")
        other_key = make_key_cryptography(directory / "unrelated.key")
    return {"ca": ca["cert"], "cert": server["cert"], "key": server["key"], "other_ca": other["cert"],
            "other_key": other_key}


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Dict[str, Path]:
    tool = pki_tool()
    if tool is None:
        pytest.skip("neither the openssl command nor the cryptography package is available")
    return make_pki(tmp_path_factory.mktemp("pki"), tool)


def trusting(ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    return context


# --------------------------------------------------------------------------
# HTTPS servers and clients
# --------------------------------------------------------------------------

class TlsServe(Serve):
    """`imageshare serve --tls-cert --tls-key`, health-checked over HTTPS with the test CA."""

    def __init__(self, *args, ca: Path, **kw):
        super().__init__(*args, **kw)
        self.ca = ca

    def healthz(self, timeout: float = 1.0) -> str:
        url = f"https://127.0.0.1:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=timeout, context=trusting(self.ca)) as resp:
            return f"{resp.status} {resp.read().decode(errors='replace').strip()}"


class HttpsNewSdkClient(NewSdkClient):
    """conftest's new-SDK adapter, over HTTPS trusting ``ca``."""

    def __init__(self, style: str, port: int, account: Account, region: str, ca: Path):
        super().__init__(style, port, account, region)
        from alibabacloud_ecs20140526.client import Client as EcsClient
        from alibabacloud_tea_openapi.utils_models import Config

        kwargs = dict(access_key_id=account.access_key_id, access_key_secret=account.access_key_secret,
                      endpoint=f"127.0.0.1:{port}", protocol="https", ca=str(ca), region_id=region,
                      read_timeout=READ_TIMEOUT_S * 1000, connect_timeout=CONNECT_TIMEOUT_S * 1000)
        if style == "v2":
            kwargs["signature_algorithm"] = "v2"
        self.sdk = EcsClient(Config(**kwargs))


class HttpsOldSdkClient(OldSdkClient):
    """conftest's old-SDK adapter, over HTTPS trusting ``ca``."""

    def __init__(self, port: int, account: Account, region: str, ca: Path):
        super().__init__(port, account, region)
        self.sdk.set_verify(str(ca))

    def build_request(self, action, params=None, *, raw=False):
        from aliyunsdkcore.http import protocol_type
        request = super().build_request(action, params, raw=raw)
        request.set_protocol_type(protocol_type.HTTPS)
        return request


class HttpsServer:
    """Just enough of conftest.ImageShareServer for conftest.Actor, over HTTPS."""

    def __init__(self, serve: TlsServe, ca: Path):
        self.serve, self.port, self.ca = serve, serve.port, ca

    def client(self, style: str, account: Account, region: str = REGION):
        if style == "old":
            return HttpsOldSdkClient(self.port, account, region, self.ca)
        return HttpsNewSdkClient(style, self.port, account, region, self.ca)

    def create_account(self, name: str) -> Account:
        data_dir = Path(self.serve.argv[self.serve.argv.index("--data-dir") + 1])
        database = self.serve.argv[self.serve.argv.index("--database") + 1] if "--database" in self.serve.argv else None
        return Account.from_cli_json(cli_ok("accounts", "create", "--name", name, *store_args(data_dir, database)))


@pytest.fixture(scope="module")
def tls_server(pki, tmp_path_factory):
    base = tmp_path_factory.mktemp("tls-server")
    srv = TlsServe(base / "logs", base / "data", fresh_database_url(), "--tls-cert", pki["cert"],
                   "--tls-key", pki["key"], ca=pki["ca"])
    try:
        srv.start()
        yield HttpsServer(srv, pki["ca"])
        # Close the new SDK's pooled keep-alive connections first: a TLS connection whose client never answers
        # the server's close_notify holds the server's exit for its TLS shutdown timeout (5 s).
        from darabonba.core import DaraCore
        for key, session in list(DaraCore._sessions.items()):
            if f":{srv.port}:" in key:
                session.close()
                del DaraCore._sessions[key]
        gc.collect()   # and the old SDK's (AcsClient sessions sit in reference cycles)
        srv.stop()
    finally:
        srv.kill()


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------

def test_the_test_certificate_verifies_for_127_0_0_1_and_localhost(pki):
    """The throw-away PKI itself (if this fails, the other verdicts here mean nothing)."""
    import ssl as _ssl
    context = trusting(pki["ca"])
    server_context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(str(pki["cert"]), str(pki["key"]))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    import threading

    def accept():
        conn, _ = listener.accept()
        try:
            with server_context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass

    for host in ("127.0.0.1", "localhost"):
        t = threading.Thread(target=accept)
        t.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.version(), host
                tls.sendall(b"x")
        t.join(5)
    listener.close()


def test_healthz_over_https(tls_server):
    with urllib.request.urlopen(f"https://127.0.0.1:{tls_server.port}/healthz", timeout=5,
                                context=trusting(tls_server.ca)) as resp:
        assert (resp.status, resp.read().decode().strip()) == (200, "ok")
    with urllib.request.urlopen(f"https://localhost:{tls_server.port}/healthz", timeout=5,
                                context=trusting(tls_server.ca)) as resp:
        assert resp.status == 200


@pytest.mark.parametrize("style", ["v3", "v2", "old"])
def test_share_story_over_https(tls_server, style):
    owner = Actor(tls_server, tls_server.create_account(f"tls-owner-{style}"), style)
    friend = Actor(tls_server, tls_server.create_account(f"tls-friend-{style}"), style)
    image = owner.create_image(ImageName=f"over-tls-{style}")
    assert image not in friend.image_ids(ImageOwnerAlias="others")
    owner.share(image, add=[friend])
    assert owner.shared_accounts(image) == [friend.id]
    assert image in friend.image_ids(ImageOwnerAlias="others")
    instance = friend.run_instances(image)[0]
    assert friend.instance(instance)["ImageId"] == image
    owner.share(image, remove=[friend])
    assert image not in friend.image_ids(ImageOwnerAlias="others")


def test_plain_http_to_the_tls_port_fails(tls_server, pki):
    port = tls_server.port
    # a raw plain-text request gets no HTTP answer
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(HEALTHZ)
        data, _ = read_reply(sock, timeout=3)
    assert not data.startswith(b"HTTP/1.1 2"), f"plain HTTP to the TLS port was answered: {data[:200]!r}"
    # an SDK pointed at http:// fails
    account = tls_server.create_account("plain")
    with pytest.raises(Exception) as failed:
        make_client("v3", port, account).call("DescribeRegions", {})
    assert not isinstance(failed.value, ApiError) or failed.value.http_status != 200, failed.value
    # and the server still serves HTTPS afterwards
    assert tls_server.serve.healthz(timeout=5) == "200 ok"


def test_clients_that_do_not_trust_the_ca_are_refused(tls_server, pki, monkeypatch):
    port = tls_server.port
    url = f"https://127.0.0.1:{port}/healthz"
    for label, context in (("the system CAs", ssl.create_default_context()),
                           ("another CA", trusting(pki["other_ca"]))):
        with pytest.raises(urllib.error.URLError) as refused:
            urllib.request.urlopen(url, timeout=5, context=context)
        assert isinstance(refused.value.reason, ssl.SSLCertVerificationError), (label, refused.value)

    account = tls_server.create_account("untrusting")
    # new SDK without `ca`: a fresh session cache, or an earlier trusting client's context would be reused
    from darabonba.core import DaraCore
    monkeypatch.setattr(DaraCore, "_sessions", {})
    monkeypatch.delenv("ALIBABA_CLOUD_CA_BUNDLE", raising=False)
    from alibabacloud_ecs20140526 import models
    from alibabacloud_ecs20140526.client import Client as EcsClient
    from alibabacloud_tea_openapi.utils_models import Config
    from darabonba.runtime import RuntimeOptions
    for style in ("v3", "v2"):
        kwargs = dict(access_key_id=account.access_key_id, access_key_secret=account.access_key_secret,
                      endpoint=f"127.0.0.1:{port}", protocol="https", region_id=REGION)
        if style == "v2":
            kwargs["signature_algorithm"] = "v2"
        with pytest.raises(Exception) as refused:
            EcsClient(Config(**kwargs)).describe_regions_with_options(models.DescribeRegionsRequest(), RuntimeOptions())
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value), (style, refused.value)

    # old SDK without verify= (no retries, so the refusal is quick)
    from aliyunsdkcore.acs_exception.exceptions import ClientException
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.http import protocol_type
    from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest
    old = AcsClient(account.access_key_id, account.access_key_secret, REGION, port=port, auto_retry=False,
                    timeout=READ_TIMEOUT_S, connect_timeout=CONNECT_TIMEOUT_S)
    request = DescribeRegionsRequest()
    request.set_endpoint("127.0.0.1")
    request.set_protocol_type(protocol_type.HTTPS)
    with pytest.raises(ClientException) as refused:
        old.do_action_with_exception(request)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value), refused.value


def test_console_cookies_are_secure_over_https(tls_server):
    stdout = tls_server.serve.stdout
    password = re.search(r"^\s*ConsolePassword:\s*(\S+)\s*$", stdout, re.M)
    assert password, f"no ConsolePassword in the first start's output\n{tls_server.serve.logs()}"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=trusting(tls_server.ca)),
                                         urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
    base = f"https://127.0.0.1:{tls_server.port}"

    def request(path, fields=None):
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            with opener.open(base + path, data=data, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    status, _, page = request("/console/sign-in")
    assert status == 200, (status, page[:300])
    status, headers, _ = request("/console/sign-in", {"account": "default", "password": password.group(1)})
    assert (status, headers.get("Location")) == (303, "/console/images"), status
    cookies = headers.get_all("Set-Cookie") or []
    assert cookies, "sign-in set no cookie"
    for cookie in cookies:
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        assert "secure" in attributes and "httponly" in attributes, f"cookie without Secure over HTTPS: {cookie}"
    assert request("/console/images")[0] == 200


@pytest.mark.parametrize("given", ["--tls-cert", "--tls-key"])
def test_one_tls_flag_alone_is_a_usage_error(tmp_path, serves, pki, given):
    other = "--tls-key" if given == "--tls-cert" else "--tls-cert"
    srv = serves(tmp_path / "data", given, pki["cert"] if given == "--tls-cert" else pki["key"],
                 database=fresh_database_url())
    rc, out, err = srv.refused()
    assert other in err, f"the usage error must name {other}\n{srv.logs()}"
    assert "AccessKeySecret" not in out, srv.logs()
    assert not (tmp_path / "data").exists(), f"a refused start created the data directory\n{srv.logs()}"


@pytest.mark.parametrize("case", ["missing-cert", "missing-key", "garbage-cert", "garbage-key", "key-mismatch"])
def test_unusable_certificate_files_fail_at_start_naming_the_file(tmp_path, serves, pki, case):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not PEM\n")
    os.chmod(garbage, 0o600)
    cert, key = pki["cert"], pki["key"]
    if case == "missing-cert":
        cert = named = tmp_path / "nope.pem"
    elif case == "missing-key":
        key = named = tmp_path / "nope.key"
    elif case == "garbage-cert":
        cert = named = garbage
    elif case == "garbage-key":
        key = named = garbage
    else:
        key = named = pki["other_key"]
    srv = serves(tmp_path / "data", "--tls-cert", cert, "--tls-key", key, database=fresh_database_url())
    started = time.monotonic()
    rc, out, err = srv.refused()
    assert time.monotonic() - started < 10, srv.logs()
    naming = [line for line in err.splitlines() if str(named) in line]
    if case == "key-mismatch":   # either file may be named for a pair that does not match
        naming = [line for line in err.splitlines() if str(key) in line or str(cert) in line]
    assert naming, f"no error line names {named}\n{srv.logs()}"
    assert "AccessKeySecret" not in out, srv.logs()
