"""Foundation compatibility tests: regions, system images, authentication errors,
live key management and nonce persistence -- each under the three client styles
(new SDK V3 signing, new SDK V2 signing, legacy aliyun-python-sdk-core)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from conftest import DEFAULT_REGION, ApiError, patch_nonce, patch_timestamp

REQUIRED_REGIONS = {"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen",
                    "ap-southeast-1", "us-west-1"}
SYSTEM_IMAGE_COUNT = 12
UBUNTU_X64 = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"
ALINUX_ARM64 = "aliyun_3_arm64_20G_alibase_20241103.vhd"
CENTOS_I386 = "centos_6_10_32_40G_alibase_20181228.vhd"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def expect_error(fn, code, http_status, *, alt_codes=()):
    """Run ``fn``; it must fail with a server error ``code`` (or one of
    ``alt_codes``) and ``http_status``. Returns the :class:`ApiError`."""
    try:
        result = fn()
    except ApiError as err:
        assert err.code == code or err.code in alt_codes, \
            f"[{err.style}] expected {code} (HTTP {http_status}), got {err.code} " \
            f"(HTTP {err.http_status}): {err.message}"
        assert err.http_status == http_status, \
            f"[{err.style}] {err.code}: expected HTTP {http_status}, got {err.http_status}"
        assert err.request_id and err.request_id != "None", \
            f"[{err.style}] error {err.code} carries no RequestId"
        if err.style == "old":
            from aliyunsdkcore.acs_exception.exceptions import ServerException
            assert isinstance(err.original, ServerException), type(err.original)
        return err
    pytest.fail(f"expected {code} (HTTP {http_status}), but the call succeeded: {result!r}")


def images_of(body):
    images = body["Images"]["Image"]
    assert isinstance(images, list), f"Images.Image must be a list, got {type(images)}: {images!r}"
    return images


def describe_images(client, **params):
    params.setdefault("RegionId", DEFAULT_REGION)
    return client.call("DescribeImages", params)


def stale(seconds_ago=20 * 60):
    return time.time() - seconds_ago


def new_nonce():
    return uuid.uuid4().hex


# --------------------------------------------------------------------------
# DescribeRegions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [False, True], ids=["typed", "generic"])
def test_describe_regions(client, raw):
    body = client.call("DescribeRegions", {}, raw=raw)
    assert body.get("RequestId")
    regions = body["Regions"]["Region"]
    assert isinstance(regions, list)
    ids = [r["RegionId"] for r in regions]
    assert len(ids) == len(set(ids)), f"duplicate regions: {ids}"
    assert REQUIRED_REGIONS <= set(ids), f"missing: {REQUIRED_REGIONS - set(ids)}"
    for region in regions:
        for field in ("RegionId", "LocalName", "RegionEndpoint", "Status"):
            assert isinstance(region.get(field), str) and region[field], (field, region)


def test_describe_regions_english_names(client):
    body = client.call("DescribeRegions", {"AcceptLanguage": "en-US"})
    names = {r["RegionId"]: r["LocalName"] for r in body["Regions"]["Region"]}
    assert REQUIRED_REGIONS <= set(names)
    for region_id, name in names.items():
        assert name.isascii(), f"{region_id}: LocalName {name!r} is not English"
    assert "Hangzhou" in names["cn-hangzhou"]


# --------------------------------------------------------------------------
# DescribeImages
# --------------------------------------------------------------------------

@pytest.mark.parametrize("alias", ["system", None], ids=["alias-system", "no-alias"])
def test_describe_images_system(client, alias):
    params = {"ImageOwnerAlias": alias} if alias else {}
    body = describe_images(client, PageSize=100, **params)
    assert body.get("RequestId")
    assert body["RegionId"] == DEFAULT_REGION
    assert body["TotalCount"] == SYSTEM_IMAGE_COUNT
    assert body["PageSize"] == 100
    images = images_of(body)
    assert len(images) == SYSTEM_IMAGE_COUNT
    assert len({i["ImageId"] for i in images}) == SYSTEM_IMAGE_COUNT
    assert {UBUNTU_X64, ALINUX_ARM64, CENTOS_I386} <= {i["ImageId"] for i in images}
    for image in images:
        assert image["ImageOwnerAlias"] == "system"
        assert image["OSType"] in ("linux", "windows")
        assert image["Architecture"] in ("i386", "x86_64", "arm64")
        assert isinstance(image["Size"], int) and not isinstance(image["Size"], bool)
        assert image["Status"] == "Available"
        assert image["ImageName"] and image["CreationTime"]
        assert isinstance(image["DiskDeviceMappings"]["DiskDeviceMapping"], list)


def test_describe_images_default_page(client):
    body = describe_images(client)  # ECS defaults: PageNumber 1, PageSize 10
    assert body["TotalCount"] == SYSTEM_IMAGE_COUNT
    assert body["PageNumber"] == 1
    assert body["PageSize"] == 10
    assert len(images_of(body)) == 10


def test_describe_images_paging(client):
    seen = []
    for page, expected in ((1, 5), (2, 5), (3, 2)):
        body = describe_images(client, ImageOwnerAlias="system", PageSize=5, PageNumber=page)
        assert body["TotalCount"] == SYSTEM_IMAGE_COUNT, f"page {page}"
        assert body["PageNumber"] == page
        assert body["PageSize"] == 5
        images = images_of(body)
        assert len(images) == expected, f"page {page}"
        seen += [i["ImageId"] for i in images]
    assert len(seen) == len(set(seen)) == SYSTEM_IMAGE_COUNT, seen


def test_describe_images_by_id_list(client):
    body = describe_images(client, ImageId=f"{UBUNTU_X64},{ALINUX_ARM64}")
    images = images_of(body)
    assert sorted(i["ImageId"] for i in images) == sorted([UBUNTU_X64, ALINUX_ARM64])
    assert body["TotalCount"] == 2


@pytest.mark.parametrize("raw", [False, True], ids=["typed", "generic"])
def test_describe_images_single_id_is_still_a_list(client, raw):
    body = client.call("DescribeImages", {"RegionId": DEFAULT_REGION, "ImageId": CENTOS_I386},
                       raw=raw)
    images = images_of(body)
    assert len(images) == 1
    assert images[0]["ImageId"] == CENTOS_I386
    assert images[0]["Architecture"] == "i386"
    mappings = images[0]["DiskDeviceMappings"]["DiskDeviceMapping"]
    assert isinstance(mappings, list) and len(mappings) == 1
    if not raw and client.style in ("v3", "v2"):
        # the body really parsed into the SDK's models
        typed = client.last_typed.body
        assert len(typed.images.image) == 1
        assert typed.images.image[0].image_id == CENTOS_I386
        assert typed.total_count == 1
        assert len(typed.images.image[0].disk_device_mappings.disk_device_mapping) == 1


def test_describe_images_windows(client):
    images = images_of(describe_images(client, OSType="windows"))
    assert len(images) == 2
    assert all(i["OSType"] == "windows" for i in images)


def test_describe_images_arm64(client):
    images = images_of(describe_images(client, Architecture="arm64"))
    assert len(images) == 2
    assert all(i["Architecture"] == "arm64" for i in images)
    assert ALINUX_ARM64 in {i["ImageId"] for i in images}


@pytest.mark.parametrize("params, code, status", [
    ({"RegionId": "xx-nowhere-1"}, "InvalidRegionId.NotFound", 404),
    ({"ImageOwnerAlias": "bogus"}, "InvalidImageOwnerAlias.ValueNotSupported", 400),
    ({"OSType": "plan9"}, "InvalidOSType", 404),
    ({"Architecture": "sparc"}, "InvalidArchitecture", 404),
    ({"PageSize": 0}, "InvalidParameter", 400),
    ({"PageSize": 101}, "InvalidParameter", 400),
], ids=["region", "alias", "ostype", "arch", "pagesize-0", "pagesize-101"])
def test_describe_images_invalid_filters(client, params, code, status):
    expect_error(lambda: describe_images(client, **params), code, status)


# --------------------------------------------------------------------------
# authentication / request errors
# --------------------------------------------------------------------------

def test_wrong_secret(server, style, make_style_client, monkeypatch):
    """Wrong secret -> SignatureDoesNotMatch 400, and the server's string to sign,
    signed with the secret the client used, reproduces the client's signature."""
    wrong = server.root.with_secret("x" * len(server.root.access_key_secret))
    client = make_style_client(wrong)

    sent = {}
    if style in ("v2", "v3"):
        from alibabacloud_tea_openapi.utils import Utils
        if style == "v2":
            original = Utils.get_rpcsignature

            def spy_rpc(signed_params, method, secret):
                sent["signature"] = original(signed_params, method, secret)
                return sent["signature"]
            monkeypatch.setattr(Utils, "get_rpcsignature", staticmethod(spy_rpc))
        else:
            original = Utils.get_authorization

            def spy_auth(request, sign_type, payload, ak, secret):
                sent["authorization"] = original(request, sign_type, payload, ak, secret)
                return sent["authorization"]
            monkeypatch.setattr(Utils, "get_authorization", staticmethod(spy_auth))

    # the legacy SDK rewrites the code to InvalidAccessKeySecret when its own
    # string to sign equals the one in the server's message
    alt = ("InvalidAccessKeySecret",) if style == "old" else ()
    err = expect_error(lambda: client.call("DescribeRegions", {}),
                       "SignatureDoesNotMatch", 400, alt_codes=alt)

    if style == "old":
        return
    message = err.original.data["Message"]
    marker = "string to sign is:"
    assert marker in message, message
    server_sts = message.split(marker, 1)[1]
    key = wrong.access_key_secret
    if style == "v2":
        expected = base64.b64encode(hmac.new((key + "&").encode(), server_sts.encode(),
                                            hashlib.sha1).digest()).decode()
        assert expected == sent["signature"], \
            f"server string to sign differs from the SDK's: {server_sts!r}"
    else:
        assert server_sts.startswith("ACS3-HMAC-SHA256\n"), server_sts
        expected = hmac.new(key.encode(), server_sts.encode(), hashlib.sha256).hexdigest()
        assert f"Signature={expected}" in sent["authorization"], \
            f"server string to sign differs from the SDK's: {server_sts!r}"


def test_unknown_access_key_id(server, make_style_client):
    ghost = server.root.with_key_id("LTAI" + uuid.uuid4().hex[:20])
    expect_error(lambda: make_style_client(ghost).call("DescribeRegions", {}),
                 "InvalidAccessKeyId.NotFound", 404)


def test_disabled_key(server, make_style_client):
    account = server.create_account()
    server.disable_key(account)
    expect_error(lambda: make_style_client(account).call("DescribeRegions", {}),
                 "Forbidden.AccessKeyDisabled", 403)


def test_stale_timestamp(client, style, monkeypatch):
    patch_timestamp(monkeypatch, style, stale())
    expect_error(lambda: client.call("DescribeRegions", {}), "InvalidTimeStamp.Expired", 400)


def test_slightly_skewed_timestamp_is_accepted(client, style, monkeypatch):
    patch_timestamp(monkeypatch, style, stale(5 * 60))
    assert client.call("DescribeRegions", {})["Regions"]["Region"]


def test_replayed_nonce(client, style, monkeypatch):
    patch_nonce(monkeypatch, style, new_nonce())
    client.call("DescribeRegions", {})
    expect_error(lambda: client.call("DescribeRegions", {}), "SignatureNonceUsed", 400)


def test_unknown_action(client):
    expect_error(lambda: client.call("DescribeNothing", {"RegionId": DEFAULT_REGION}),
                 "InvalidAction.NotFound", 404)


def _regionless_describe_images_request():
    """A legacy-SDK DescribeImages request that is signed and sent without RegionId.

    Every stock request class of aliyun-python-sdk-core injects the client's
    region: ``RpcRequest.get_url`` adds ``RegionId`` whenever it is absent
    (CommonRequest delegates to an RpcRequest, so it does the same), and a
    client region of ``None`` is sent as the literal ``RegionId=None``. The only
    way to omit it is to override ``get_url``; the override below keeps the SDK's
    own signer (``rpc_signature_composer.get_signed_url``), transport and error
    handling and only skips the injection.
    """
    from aliyunsdkcore.auth.composer import rpc_signature_composer
    from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest

    class RegionlessDescribeImagesRequest(DescribeImagesRequest):
        def get_url(self, region_id, access_key_id, access_key_secret):
            params = dict(self._get_sign_params())
            assert "RegionId" not in params
            url, string_to_sign = rpc_signature_composer.get_signed_url(
                params, access_key_id, access_key_secret, self.get_accept_format(),
                self.get_method(), self.get_body_params(), self._signer)
            self.string_to_sign = string_to_sign
            return url

    request = RegionlessDescribeImagesRequest()
    request.set_ImageOwnerAlias("system")
    request.set_endpoint("127.0.0.1")
    return request


def test_missing_region_id(client, style):
    if style == "old":
        request = _regionless_describe_images_request()
        err = expect_error(lambda: client.send(request), "MissingParameter", 400)
        assert "RegionId%3D" not in request.string_to_sign  # really sent without it
    else:
        err = expect_error(lambda: client.call("DescribeImages", {"ImageOwnerAlias": "system"}),
                           "MissingParameter", 400)
    assert "RegionId" in err.message, err.message


# --------------------------------------------------------------------------
# live key management through the CLI while the server runs
# --------------------------------------------------------------------------

def test_account_created_while_running_works(server, make_style_client):
    account = server.create_account(name=f"live-{uuid.uuid4().hex[:8]}")
    client = make_style_client(account)
    assert REQUIRED_REGIONS <= {r["RegionId"] for r in
                                client.call("DescribeRegions", {})["Regions"]["Region"]}
    assert describe_images(client)["TotalCount"] == SYSTEM_IMAGE_COUNT
    assert account.account_id in {a["AccountId"] for a in server.list_accounts()}


def test_key_created_while_running_works(server, make_style_client):
    account = server.create_account()
    make_style_client(account).call("DescribeRegions", {})
    second = server.create_key(account.account_id)
    assert second.account_id == account.account_id
    assert second.access_key_id != account.access_key_id
    assert describe_images(make_style_client(second))["TotalCount"] == SYSTEM_IMAGE_COUNT


def test_key_disable_and_enable_while_running(server, make_style_client):
    account = server.create_account()
    client = make_style_client(account)
    client.call("DescribeRegions", {})          # works (and warms any server-side cache)

    server.disable_key(account)
    expect_error(lambda: client.call("DescribeRegions", {}), "Forbidden.AccessKeyDisabled", 403)
    expect_error(lambda: describe_images(client), "Forbidden.AccessKeyDisabled", 403)

    server.enable_key(account)
    assert describe_images(client)["TotalCount"] == SYSTEM_IMAGE_COUNT


def test_disabling_one_key_leaves_the_others(server, make_style_client):
    account = server.create_account()
    second = server.create_key(account.account_id)
    server.disable_key(account)
    expect_error(lambda: make_style_client(account).call("DescribeRegions", {}),
                 "Forbidden.AccessKeyDisabled", 403)
    make_style_client(second).call("DescribeRegions", {})


# --------------------------------------------------------------------------
# persistence across a restart
# --------------------------------------------------------------------------

def test_nonce_replay_refused_after_restart(fresh_server, style, monkeypatch):
    nonce = new_nonce()
    patch_nonce(monkeypatch, style, nonce)
    fresh_server.client(style).call("DescribeRegions", {})

    fresh_server.restart()  # SIGTERM (clean exit asserted), same data dir, new port

    expect_error(lambda: fresh_server.client(style).call("DescribeRegions", {}),
                 "SignatureNonceUsed", 400)
    # the store survived the restart: a fresh nonce with the same key is accepted
    patch_nonce(monkeypatch, style, new_nonce())
    assert fresh_server.client(style).call("DescribeRegions", {})["Regions"]["Region"]


# --------------------------------------------------------------------------
# Format=XML (legacy SDK CommonRequest)
# --------------------------------------------------------------------------

def test_describe_regions_xml_old_sdk(server):
    client = server.client("old")
    request = client.build_request("DescribeRegions", {}, raw=True)
    request.set_accept_format("XML")
    status, headers, body = client.get_response(request)
    assert status == 200, body
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert "xml" in content_type, content_type
    root = ET.fromstring(body)
    assert root.tag == "DescribeRegionsResponse"
    assert root.findtext("RequestId")
    ids = {e.text for e in root.findall("./Regions/Region/RegionId")}
    assert REQUIRED_REGIONS <= ids, ids
