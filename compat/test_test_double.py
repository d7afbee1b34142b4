"""ImageShare as a test double, through the pytest plugin in clients/python (installed into the compat
virtualenv by .ci/run): in-memory runs, known credentials, reset, the service clock, fault injection, and
the control endpoint's guard.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from imageshare_pytest import ImageShare, ImageShareError
from imageshare_pytest.server import LISTENING

from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException

REGION = "cn-hangzhou"
UBUNTU = "ubuntu_22_04_x64_20G_alibase_20241016.vhd"


def make_image(client, name: str = "golden") -> str:
    run = client.run_instances(ecs.RunInstancesRequest(region_id=REGION, image_id=UBUNTU, instance_type="ecs.g7.large"))
    instance = run.body.instance_id_sets.instance_id_set[0]
    return client.create_image(ecs.CreateImageRequest(region_id=REGION, instance_id=instance, image_name=name)).body.image_id


def own_images(client):
    body = client.describe_images(ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="self",
                                                            status="Creating,Available")).body
    return {image.image_id: image.status for image in body.images.image}


def test_known_accounts_sign_at_once_and_the_store_is_in_memory(imageshare, tmp_path):
    owner, friend = imageshare.accounts
    image = make_image(imageshare.client(owner))
    imageshare.client(owner).modify_image_share_permission(ecs.ModifyImageSharePermissionRequest(
        region_id=REGION, image_id=image, add_account=[friend.account_id]))
    shared = imageshare.client(friend).describe_images(ecs.DescribeImagesRequest(
        region_id=REGION, image_owner_alias="others")).body.images.image
    assert [i.image_id for i in shared] == [image]
    # --in-memory writes nothing where it runs
    with ImageShare(accounts=1) as other:
        cwd_before = set(os.listdir(tmp_path))
        assert other.client(other.accounts[0]).describe_regions(ecs.DescribeRegionsRequest()).body.regions
        assert set(os.listdir(tmp_path)) == cwd_before
        assert not os.path.exists("imageshare-data") or os.path.isdir("imageshare-data")
        assert any("store: in memory" in line for line in other.log), list(other.log)[-5:]


def test_reset_really_empties(imageshare):
    owner, friend = imageshare.accounts
    client = imageshare.client(owner)
    make_image(client)
    extra = imageshare.create_account("extra")
    assert own_images(client)
    imageshare.reset()
    assert own_images(client) == {}, "images survived a reset"
    instances = client.describe_instances(ecs.DescribeInstancesRequest(region_id=REGION)).body
    assert instances.total_count == 0
    with pytest.raises((ClientException, ServerException)) as refused:
        imageshare.client(extra).describe_regions(ecs.DescribeRegionsRequest())
    assert refused.value.code == "InvalidAccessKeyId.NotFound"
    imageshare.reset(empty=True)
    with pytest.raises((ClientException, ServerException)) as gone:
        client.describe_regions(ecs.DescribeRegionsRequest())
    assert gone.value.code == "InvalidAccessKeyId.NotFound"


def test_the_clock_moves_image_status():
    with ImageShare(accounts=1, extra_args=["--image-build-seconds", "3600"]) as server:
        client = server.client(server.accounts[0])
        image = make_image(client)
        assert own_images(client)[image] == "Creating"
        server.advance_clock(3600)
        assert own_images(client)[image] == "Available"


def test_injected_faults_hit_only_their_target_and_then_stop(imageshare):
    owner, friend = imageshare.accounts
    image = make_image(imageshare.client(owner))
    imageshare.inject_fault("DescribeImageSharePermission", code="InvalidImageId.NotFound", status=404, count=2,
                            image_id=image)
    ask = ecs.DescribeImageSharePermissionRequest(region_id=REGION, image_id=image)
    for _ in range(2):
        with pytest.raises(ClientException) as failed:
            imageshare.client(owner).describe_image_share_permission(ask)
        assert failed.value.code == "InvalidImageId.NotFound"
    # used up: the third call and every other action answer normally
    assert imageshare.client(owner).describe_image_share_permission(ask).body.image_id == image
    assert imageshare.control("GET", "faults")["Faults"] == []

    imageshare.inject_fault("DescribeRegions", code="ServiceUnavailable", status=503, account_id=owner.account_id)
    assert imageshare.client(friend).describe_regions(ecs.DescribeRegionsRequest()).body.regions
    with pytest.raises(ServerException):
        imageshare.client(owner).describe_regions(ecs.DescribeRegionsRequest())
    imageshare.clear_faults()
    assert imageshare.client(owner).describe_regions(ecs.DescribeRegionsRequest()).body.regions

    imageshare.inject_fault("DescribeRegions", delay_ms=400, count=1)
    started = time.monotonic()
    imageshare.client(owner).describe_regions(ecs.DescribeRegionsRequest())
    assert time.monotonic() - started >= 0.4


def test_the_new_sdk_retries_injected_throttling_when_told_to(imageshare):
    from darabonba.policy.retry import RetryOptions
    owner, _ = imageshare.accounts
    imageshare.inject_fault("DescribeRegions", throttle="2/1")
    plain = imageshare.client(owner)
    plain.describe_regions(ecs.DescribeRegionsRequest())
    with pytest.raises(ThrottlingException) as throttled:
        plain.describe_regions(ecs.DescribeRegionsRequest())
    assert throttled.value.code == "Throttling" and 0 < throttled.value.retry_after <= 500
    retrying = imageshare.client(owner, retry_options=RetryOptions({
        "retryable": True,
        "retryCondition": [{"maxAttempts": 5, "exception": ["ThrottlingException"], "maxDelay": 2000}],
    }))
    for _ in range(3):
        assert retrying.describe_regions(ecs.DescribeRegionsRequest()).body.regions


def test_the_old_sdk_retries_an_injected_outage_of_a_describe_call(imageshare):
    from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest
    owner, _ = imageshare.accounts
    imageshare.inject_fault("DescribeImages", code="ServiceUnavailable", status=503, count=2)
    client = imageshare.old_client(owner)
    request = imageshare.old_request(DescribeImagesRequest())
    request.set_ImageOwnerAlias("system")
    body = client.do_action_with_exception(request)
    assert b"ubuntu" in body
    assert imageshare.control("GET", "faults")["Faults"] == [], "the SDK did not retry through both failures"


def test_the_control_endpoint_needs_its_token_and_is_absent_without_one(imageshare):
    url = f"http://{imageshare.endpoint}/_imageshare/reset"
    for headers in ({}, {"X-ImageShare-Admin-Token": "not-the-token-at-all"}):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST", headers=headers), timeout=5)
        assert refused.value.code == 401
    owner, _ = imageshare.accounts
    make_image(imageshare.client(owner))
    assert own_images(imageshare.client(owner)), "a refused reset emptied the store"

    # a server started without --admin-token: the path is an unknown route
    proc = subprocess.Popen([imageshare.binary, "serve", "--in-memory", "--port", "0"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stderr:
            match = LISTENING.search(line)
            if match and "ImageShare" in line:
                port = int(match.group(3))
                break
        assert port
        with pytest.raises(urllib.error.HTTPError) as absent:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/_imageshare/reset", data=b"{}",
                                                          method="POST",
                                                          headers={"X-ImageShare-Admin-Token": imageshare.token}),
                                   timeout=5)
        assert absent.value.code == 404
    finally:
        proc.terminate()
        proc.wait(10)


def test_bad_fixtures_stop_the_server_at_start():
    server = ImageShare(accounts=0, extra_args=["--account", "ci:12ab:LTAIx:short"])
    with pytest.raises(ImageShareError):
        server.start()
