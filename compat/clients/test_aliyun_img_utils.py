"""aliyun-img-utils 2.6.0 (SUSE's image publishing tool), unmodified, through its Python API.

The tool has no endpoint option: ``AcsClient(key, secret, region)`` resolves
``ecs-<region>.aliyuncs.com`` over plain http, and aliyunsdkcore honours ``HTTP_PROXY``
(aliyunsdkcore/http/http_response.py), so ``HTTP_PROXY=http://127.0.0.1:PORT`` sends it to the server.
The CLI logs per-region failures and still exits 0, so the test drives the Python API (AliyunImage),
whose single-region methods raise AliyunImageException.

Covers what the tool calls: get_compute_image / image_exists / wait_on_compute_image (DescribeImages with
six comma-joined Status values, by ImageName and by ImageId), describe_share_permission,
publish_image (LaunchPermission), deprecate_image (TagResources with keys containing spaces),
activate_image (DescribeImages Status=Deprecated + ModifyImageAttribute Status=Available),
replicate_image (CopyImage), delete_compute_image (DeleteImage without Force, then polls until gone).

What the tool cannot do (launch an instance, create an image without OSS, add share accounts) goes
through aliyunsdkcore + aliyunsdkecs, the SDK it is built on, with the same HTTP_PROXY setting.
"""

from __future__ import annotations

import json
import uuid

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkecs.request.v20140526.CreateImageRequest import CreateImageRequest
from aliyunsdkecs.request.v20140526.CreateSecurityGroupRequest import CreateSecurityGroupRequest
from aliyunsdkecs.request.v20140526.ModifyImageAttributeRequest import ModifyImageAttributeRequest
from aliyunsdkecs.request.v20140526.ModifyImageSharePermissionRequest import \
    ModifyImageSharePermissionRequest
from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

from aliyun_img_utils.aliyun_exceptions import AliyunImageException
from aliyun_img_utils.aliyun_image import AliyunImage

from clients.conftest import (INSTANCE_TYPE, OTHER_REGION, PUBLIC_IMAGE, REGION, Person,
                              fail_on_hang)

# every wait of the tool polls every 10-30 s, but only while an image is not in its final state
hang_guard = fail_on_hang(120)


@pytest.fixture(autouse=True)
def proxy(server, monkeypatch):
    """aliyunsdkcore reads the proxy variables at each request."""
    for name in ("HTTPS_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")


def sdk_call(person: Person, request, **params):
    """A step the tool cannot do, through aliyunsdkcore (the tool's own SDK) and HTTP_PROXY."""
    for key, value in params.items():
        getattr(request, "set_" + key)(value)
    request.set_accept_format("json")
    return json.loads(AcsClient(person.key, person.secret, REGION).do_action_with_exception(request))


def launch(person: Person, image_id: str, group: str) -> str:
    body = sdk_call(person, RunInstancesRequest(), ImageId=image_id, InstanceType=INSTANCE_TYPE,
                    SecurityGroupId=group)
    [instance_id] = body["InstanceIdSets"]["InstanceIdSet"]
    return instance_id


def test_seed_story_and_image_commands(owner, recipient):
    name = "aiu-story-" + uuid.uuid4().hex[:8]     # the tool finds images by name, takes the first
    group = sdk_call(owner, CreateSecurityGroupRequest(), SecurityGroupName=name)["SecurityGroupId"]
    builder = launch(owner, PUBLIC_IMAGE, group)
    image_id = sdk_call(owner, CreateImageRequest(), InstanceId=builder, ImageName=name,
                        Description="aiu story image")["ImageId"]

    tool = AliyunImage(owner.key, owner.secret, REGION)
    seen_by_recipient = AliyunImage(recipient.key, recipient.secret, REGION)

    tool.wait_on_compute_image(image_id, timeout=60)     # `image info` until Available
    found = tool.get_compute_image(image_name=name)       # `image info --image-name`
    assert (found["ImageId"], found["Description"]) == (image_id, "aiu story image")
    assert tool.image_exists(name) and not tool.image_exists(name + "-nope")
    with pytest.raises(AliyunImageException):
        seen_by_recipient.get_compute_image(image_id=image_id)

    # share (the tool cannot add accounts), then `image share-permission`
    sdk_call(owner, ModifyImageSharePermissionRequest(), ImageId=image_id, AddAccounts=[recipient.id])
    shares = tool.describe_share_permission(name)
    assert [a["AliyunId"] for a in shares["Accounts"]["Account"]] == [recipient.id]
    assert shares["ImageId"] == image_id and shares["TotalCount"] == 1
    seen = seen_by_recipient.get_compute_image(image_id=image_id)
    assert (seen["ImageId"], seen["ImageOwnerAlias"]) == (image_id, "others")

    recipient_group = sdk_call(recipient, CreateSecurityGroupRequest(),
                               SecurityGroupName="aiu-r")["SecurityGroupId"]
    launched = launch(recipient, image_id, recipient_group)

    sdk_call(owner, ModifyImageSharePermissionRequest(), ImageId=image_id, RemoveAccounts=[recipient.id])
    with pytest.raises(AliyunImageException):
        seen_by_recipient.get_compute_image(image_id=image_id)
    with pytest.raises(ServerException) as refused:
        launch(recipient, image_id, recipient_group)
    assert refused.value.get_error_code() == "InvalidImageId.NotFound"
    assert recipient.instance(launched)["Status"] == "Running"
    assert tool.describe_share_permission(name)["Accounts"]["Account"] == []

    # `image publish --launch-permission hidden`
    tool.publish_image(name, "hidden")

    # `image deprecate`: TagResources ResourceType=image, tag keys with spaces
    tool.deprecate_image(name, replacement_image="aiu-next")
    assert owner.tags_of("image", image_id) == {"Deprecated on": tool.deprecation_date,
                                                "Removal date": tool.deletion_date,
                                                "Replacement image": "aiu-next"}
    described = owner.sdk.image(image_id)
    assert {t["TagKey"]: t["TagValue"] for t in described["Tags"]["Tag"]}["Replacement image"] == "aiu-next"
    # a recipient can tag nothing of the owner's
    sdk_call(owner, ModifyImageSharePermissionRequest(), ImageId=image_id, AddAccounts=[recipient.id])
    with pytest.raises(AliyunImageException):
        seen_by_recipient.add_image_tags(image_id, [{"Key": "mine", "Value": "x"}])
    assert "mine" not in owner.tags_of("image", image_id)
    sdk_call(owner, ModifyImageSharePermissionRequest(), ImageId=image_id, RemoveAccounts=[recipient.id])

    # `image activate` finds only images something else marked Deprecated
    with pytest.raises(AliyunImageException):
        tool.activate_image(name)
    sdk_call(owner, ModifyImageAttributeRequest(), ImageId=image_id, Status="Deprecated")
    tool.activate_image(name)
    assert tool.get_compute_image(image_id=image_id)["Status"] == "Available"

    # `image replicate --regions cn-shanghai`
    copies = tool.replicate_image(name, regions=[OTHER_REGION])
    assert list(copies) == [OTHER_REGION] and copies[OTHER_REGION], copies
    far = AliyunImage(owner.key, owner.secret, OTHER_REGION)
    far.wait_on_compute_image(copies[OTHER_REGION], timeout=60)
    copied = far.get_compute_image(image_name=name)
    assert (copied["ImageId"], copied["Description"]) == (copies[OTHER_REGION], "aiu story image")

    # `image delete`: DeleteImage without Force. The former recipient still runs an instance made
    # from the image; only the owner's own instances may block the delete.
    assert tool.delete_compute_image(name) is True
    assert far.delete_compute_image(name) is True
    assert not tool.image_exists(name) and not far.image_exists(name)
    assert recipient.instance(launched)["Status"] == "Running"

    for person, instance_id, sg in ((recipient, launched, recipient_group), (owner, builder, group)):
        person.sdk.delete_instance(instance_id)
        person.sdk.call("DeleteSecurityGroup", {"SecurityGroupId": sg}, raw=True)
