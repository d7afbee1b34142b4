"""Testing code that shares ECS images, with ImageShare as the cloud: the examples of docs/testing.md.

Run them (.ci/run does, so they stay true):

    pip install ./clients/python alibabacloud-ecs20140526 aliyun-python-sdk-ecs pytest
    IMAGESHARE_BIN=.build/release/imageshare pytest docs/examples/test_with_imageshare.py

The `imageshare` fixture (from the imageshare-pytest plugin) is one in-memory server per session, reset
before each test, with two accounts whose keys are known: `imageshare.accounts`.
"""

import pytest
from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_tea_openapi.exceptions import ServerException
from darabonba.policy.retry import RetryOptions

REGION = "cn-hangzhou"


# The code under test: shares an image with a list of accounts, in batches of ten.
def share_image(client, image_id, account_ids):
    for start in range(0, len(account_ids), 10):
        client.modify_image_share_permission(ecs.ModifyImageSharePermissionRequest(
            region_id=REGION, image_id=image_id, add_account=account_ids[start:start + 10]))


def make_image(client):
    run = client.run_instances(ecs.RunInstancesRequest(
        region_id=REGION, image_id="ubuntu_22_04_x64_20G_alibase_20241016.vhd", instance_type="ecs.g7.large"))
    instance_id = run.body.instance_id_sets.instance_id_set[0]
    return client.create_image(ecs.CreateImageRequest(region_id=REGION, instance_id=instance_id)).body.image_id


def test_the_recipient_sees_the_shared_image(imageshare):
    owner, recipient = imageshare.accounts
    image_id = make_image(imageshare.client(owner))

    share_image(imageshare.client(owner), image_id, [recipient.account_id])

    seen = imageshare.client(recipient).describe_images(ecs.DescribeImagesRequest(
        region_id=REGION, image_owner_alias="others")).body.images.image
    assert [image.image_id for image in seen] == [image_id]


def test_the_same_with_the_old_sdk(imageshare):
    from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest
    owner, _ = imageshare.accounts
    client = imageshare.old_client(owner)
    request = imageshare.old_request(DescribeImagesRequest())   # points it at the server over HTTP
    request.set_ImageOwnerAlias("system")
    assert b"ubuntu_22_04" in client.do_action_with_exception(request)


def test_a_share_that_meets_an_outage_is_reported(imageshare):
    owner, _ = imageshare.accounts
    image_id = make_image(imageshare.client(owner))
    # The share call meets an outage once: the code must not claim success.
    imageshare.inject_fault("ModifyImageSharePermission", code="ServiceUnavailable", status=503, count=1)
    with pytest.raises(ServerException):
        share_image(imageshare.client(owner), image_id, [str(2000000000000000 + n) for n in range(15)])


def test_throttling_is_retried_when_the_client_is_told_to(imageshare):
    owner, _ = imageshare.accounts
    imageshare.inject_fault("DescribeRegions", throttle="2/1")   # Throttling with x-acs-retry-after
    client = imageshare.client(owner, retry_options=RetryOptions({
        "retryable": True,
        "retryCondition": [{"maxAttempts": 5, "exception": ["ThrottlingException"], "maxDelay": 2000}],
    }))
    for _ in range(3):
        assert client.describe_regions(ecs.DescribeRegionsRequest()).body.regions.region


# More code under test: waits until an image build ends, as a pipeline step would before sharing it.
def wait_for_image(client, image_id, polls=20):
    for _ in range(polls):
        images = client.describe_images(ecs.DescribeImagesRequest(
            region_id=REGION, image_id=image_id, status="Creating,Available,CreateFailed")).body.images.image
        if images and images[0].status != "Creating":
            return images[0].status
    raise TimeoutError(image_id)


def test_a_pipeline_survives_a_failed_image_build(imageshare):
    owner, _ = imageshare.accounts
    imageshare.fail_next_build("CreateImage")
    image_id = make_image(imageshare.client(owner))        # answers an ImageId ...
    assert wait_for_image(imageshare.client(owner), image_id) == "CreateFailed"   # ... that never becomes Available
    assert wait_for_image(imageshare.client(owner), make_image(imageshare.client(owner))) == "Available"


def test_state_saved_before_a_risky_step(imageshare, tmp_path):
    owner, recipient = imageshare.accounts
    image_id = make_image(imageshare.client(owner))
    imageshare.save_snapshot("before")
    share_image(imageshare.client(owner), image_id, [recipient.account_id])
    imageshare.export_state(str(tmp_path / "after.json"))   # attach to the CI job; replay with --fixtures
    imageshare.restore_snapshot("before")
    seen = imageshare.client(recipient).describe_images(ecs.DescribeImagesRequest(
        region_id=REGION, image_owner_alias="others")).body.images.image
    assert seen == []
