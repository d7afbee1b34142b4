"""ImageShare as a test double, through the pytest plugin in clients/python (installed into the compat
virtualenv by .ci/run): in-memory runs, known credentials, reset, the service clock, fault injection, and
the control endpoint's guard.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from imageshare_pytest import Account, ImageShare, ImageShareError
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


# -- snapshots, state files, seeds, failed builds, regions ------------------------------------------------------

def answers(imageshare, image: str):
    """What the owner and the friend see of ``image``, without the RequestIds."""
    owner, friend = imageshare.accounts[:2]

    def body(reply):
        values = reply.body.to_map()
        values.pop("RequestId", None)
        return values
    return [
        body(imageshare.client(owner).describe_images(ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="self"))),
        body(imageshare.client(owner).describe_image_share_permission(
            ecs.DescribeImageSharePermissionRequest(region_id=REGION, image_id=image))),
        body(imageshare.client(friend).describe_images(ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="others"))),
        body(imageshare.client(friend).describe_instances(ecs.DescribeInstancesRequest(region_id=REGION))),
    ]


def share(imageshare, image: str, add=(), remove=()):
    owner = imageshare.accounts[0]
    imageshare.client(owner).modify_image_share_permission(ecs.ModifyImageSharePermissionRequest(
        region_id=REGION, image_id=image, add_account=list(add) or None, remove_account=list(remove) or None))


def test_a_restored_snapshot_answers_exactly_like_before(imageshare):
    owner, friend = imageshare.accounts
    image = make_image(imageshare.client(owner))
    share(imageshare, image, add=[friend.account_id])
    imageshare.client(friend).run_instances(ecs.RunInstancesRequest(region_id=REGION, image_id=image,
                                                                    instance_type="ecs.g7.large"))
    before = answers(imageshare, image)
    saved = imageshare.save_snapshot("shared")
    assert saved["Name"] == "shared" and saved["Rows"] > 0

    share(imageshare, image, remove=[friend.account_id])
    make_image(imageshare.client(owner), "later")
    assert answers(imageshare, image) != before
    imageshare.restore_snapshot("shared")
    assert answers(imageshare, image) == before

    # snapshots outlive a reset; restoring one brings back its accounts too
    imageshare.reset(empty=True)
    imageshare.restore_snapshot("shared")
    assert answers(imageshare, image) == before
    assert [s["Name"] for s in imageshare.snapshots()] == ["shared"]
    with pytest.raises(ImageShareError, match="SnapshotNotFound"):
        imageshare.restore_snapshot("never-saved")


def test_an_exported_state_replays_in_a_new_server_and_after_every_reset(imageshare, tmp_path):
    owner, friend = imageshare.accounts
    image = make_image(imageshare.client(owner))
    share(imageshare, image, add=[friend.account_id])
    before = answers(imageshare, image)
    path = tmp_path / "state.json"
    imageshare.export_state(str(path))
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    with ImageShare(accounts=0, fixtures=str(path)) as replay:
        replay.accounts = imageshare.accounts  # the file carries their keys
        assert answers(replay, image) == before
        share(replay, image, remove=[friend.account_id])
        assert answers(replay, image) != before
        replay.reset()
        assert answers(replay, image) == before

    # the same file through the endpoint, into the running server
    imageshare.reset(empty=True)
    imageshare.import_state(str(path))
    assert answers(imageshare, image) == before


def test_a_hand_written_fixtures_file_and_a_bad_one(tmp_path):
    fixtures = {
        "format": "imageshare-state/1",
        "accounts": [{"id": "1000000000000101", "name": "owner"}, {"id": "1000000000000102", "name": "friend"}],
        "access_keys": [
            {"id": "LTAIfixtureowner01", "account_id": "1000000000000101", "secret": "owner-secret-01"},
            {"id": "LTAIfixturefriend2", "account_id": "1000000000000102", "secret": "friend-secret-02"},
        ],
        "images": [{"id": "m-fixturegolden00001", "region_id": REGION, "owner_id": "1000000000000101", "name": "golden"}],
        "image_shares": [{"image_id": "m-fixturegolden00001", "account_id": "1000000000000102"}],
        "instances": [{"id": "i-fixtureinstance001", "region_id": REGION, "owner_id": "1000000000000102",
                       "image_id": "m-fixturegolden00001"}],
    }
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures))
    with ImageShare(accounts=0, fixtures=str(path)) as server:
        friend = Account("friend", "1000000000000102", "LTAIfixturefriend2", "friend-secret-02")
        client = server.client(friend)
        shared = client.describe_images(ecs.DescribeImagesRequest(region_id=REGION, image_owner_alias="others")).body
        assert [i.image_id for i in shared.images.image] == ["m-fixturegolden00001"]
        disks = client.describe_disks(ecs.DescribeDisksRequest(region_id=REGION, instance_id="i-fixtureinstance001")).body
        assert [d.type for d in disks.disks.disk] == ["system"]
        # the owner cannot delete a shared image: the fixture's share is a real one
        owner = Account("owner", "1000000000000101", "LTAIfixtureowner01", "owner-secret-01")
        with pytest.raises(ClientException) as refused:
            server.client(owner).delete_image(ecs.DeleteImageRequest(region_id=REGION, image_id="m-fixturegolden00001"))
        assert refused.value.code == "ImageUseShared"

    fixtures["image_shares"].append({"image_id": "m-fixturegolden00001", "account_id": "1000000000000101"})
    path.write_text(json.dumps(fixtures))
    bad = ImageShare(accounts=0, fixtures=str(path))
    with pytest.raises(ImageShareError) as stopped:
        bad.start()
    assert "shared with its own owner" in str(stopped.value)


def test_a_seeded_server_gives_the_same_ids_and_request_ids_on_every_run():
    def run(seed):
        with ImageShare(accounts=2, seed=seed) as server:
            return calls(server) + ["reset"] + (server.reset() or calls(server))

    def calls(server):
        owner, friend = server.accounts
        client = server.client(owner)
        regions = client.describe_regions(ecs.DescribeRegionsRequest())
        launched = client.run_instances(ecs.RunInstancesRequest(region_id=REGION, image_id=UBUNTU,
                                                                instance_type="ecs.g7.large", amount=2)).body
        image = client.create_image(ecs.CreateImageRequest(region_id=REGION,
                                                           instance_id=launched.instance_id_sets.instance_id_set[0]))
        group = client.create_security_group(ecs.CreateSecurityGroupRequest(region_id=REGION)).body
        return [regions.body.request_id, *launched.instance_id_sets.instance_id_set, launched.request_id,
                image.body.image_id, image.body.request_id, group.security_group_id]

    first = run(7)
    assert first == run(7)
    # a reset starts the stream again: the run after it repeats the run after the start
    half = first.index("reset")
    assert first[:half] == first[half + 1:]
    assert run(8)[:half] != first[:half]


def test_an_injected_build_failure_leaves_the_next_image_create_failed(imageshare):
    owner, friend = imageshare.accounts
    client = imageshare.client(owner)
    imageshare.fail_next_build("CreateImage")
    failed = make_image(client, "broken")
    fine = make_image(client, "fine")
    statuses = {i.image_id: i.status for i in client.describe_images(ecs.DescribeImagesRequest(
        region_id=REGION, image_owner_alias="self", status="Creating,Available,CreateFailed")).body.images.image}
    assert statuses == {failed: "CreateFailed", fine: "Available"}
    # the default listing (Available) does not show it; sharing and launching it fail like ECS
    assert failed not in own_images(client)
    with pytest.raises(ClientException) as refused:
        client.modify_image_share_permission(ecs.ModifyImageSharePermissionRequest(
            region_id=REGION, image_id=failed, add_account=[friend.account_id]))
    assert refused.value.code == "IncorrectImageStatus"
    client.delete_image(ecs.DeleteImageRequest(region_id=REGION, image_id=failed))

    imageshare.fail_next_build("CopyImage")
    copy = client.copy_image(ecs.CopyImageRequest(region_id=REGION, image_id=fine,
                                                  destination_region_id="cn-beijing")).body.image_id
    copied = client.describe_images(ecs.DescribeImagesRequest(region_id="cn-beijing", image_id=copy,
                                                              status="CreateFailed")).body.images.image
    assert [i.status for i in copied] == ["CreateFailed"]
    assert imageshare.control("GET", "faults")["Faults"] == []


def test_the_region_list_is_chosen_at_run_time(imageshare):
    owner, _ = imageshare.accounts
    client = imageshare.client(owner)
    everything = [r.region_id for r in client.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region]
    assert imageshare.set_regions(["eu-central-1", "cn-hangzhou"]) == ["eu-central-1", "cn-hangzhou"]
    offered = [r.region_id for r in client.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region]
    assert offered == ["eu-central-1", "cn-hangzhou"]
    with pytest.raises(ClientException) as refused:
        client.describe_images(ecs.DescribeImagesRequest(region_id="cn-shanghai"))
    assert refused.value.code == "InvalidRegionId.NotFound"
    with pytest.raises(ImageShareError):
        imageshare.set_regions(["mars-1"])
    imageshare.reset()
    assert [r.region_id for r in client.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region] == everything


def test_a_log_level_that_hides_the_port_is_named():
    with pytest.raises(ImageShareError, match="--log-level warning"):
        ImageShare(accounts=1, extra_args=["--log-level", "warning"]).start()
