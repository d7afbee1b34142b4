"""Custom-image lifecycle: CreateImage sources, the Creating -> Available
transition (server started with --image-build-seconds), CopyImage /
CancelCopyImage, ModifyImageAttribute, DescribeImages status filters, DryRun and
ClientToken -- under the three client styles."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from conftest import (DEFAULT_REGION, OTHER_REGION, PUBLIC_IMAGE, Actor, ApiError,
                      expect_error, make_actor_factory, running_server)

BUILD_SECONDS = 2
PROGRESS_RE = re.compile(r"^(\d{1,3})%$")
DRY_RUN = ("DryRunOperation", 400)
MISMATCH = ("IdempotentParameterMismatch", 400)


def progress(image) -> int:
    match = PROGRESS_RE.match(image["Progress"])
    assert match, f"Progress {image['Progress']!r} is not 'N%'"
    return int(match.group(1))


def token() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------
# creation
# --------------------------------------------------------------------------

def test_create_image_from_instance(new_actor):
    owner = new_actor()
    image = owner.create_image(ImageName="from-instance", Description="made from an instance",
                               Tag=[{"Key": "team", "Value": "infra"}])
    found = owner.image(image, ImageOwnerAlias="self")
    assert found["ImageOwnerAlias"] == "self"
    assert found["ImageOwnerId"] == int(owner.id)
    assert found["ImageName"] == "from-instance"
    assert found["Description"] == "made from an instance"
    assert found["Status"] == "Available" and found["Progress"] == "100%"
    assert found["IsCopied"] is False
    assert found["IsSelfShared"] == "False"
    assert {"TagKey": "team", "TagValue": "infra"} in found["Tags"]["Tag"]
    mappings = found["DiskDeviceMappings"]["DiskDeviceMapping"]
    assert any(m["Type"] == "system" for m in mappings), mappings
    assert image in owner.image_ids()                     # no alias includes own images
    assert owner.run_instances(image)


def test_create_image_from_snapshot_and_mappings(new_actor):
    owner = new_actor()
    instance_id = owner.builder()
    disk = owner.system_disk(instance_id)
    snapshot = owner.call("CreateSnapshot", {"DiskId": disk["DiskId"]})["SnapshotId"]
    snapshots = owner.call("DescribeSnapshots", {"SnapshotIds": f'["{snapshot}"]'})
    assert [s["SnapshotId"] for s in snapshots["Snapshots"]["Snapshot"]] == [snapshot]
    # Snapshots complete at once: accomplished finds it, progressing and failed find nothing, others are errors.
    for status, count in (("accomplished", 1), ("all", 1), ("progressing", 0), ("failed", 0)):
        found = owner.call("DescribeSnapshots", {"SnapshotIds": f'["{snapshot}"]', "Status": status})
        assert found["TotalCount"] == count, status
    expect_error(lambda: owner.call("DescribeSnapshots", {"Status": "done"}), "InvalidParameter", 400)

    from_snapshot = owner.create_image(SnapshotId=snapshot)
    from_mapping = owner.create_image(DiskDeviceMapping=[
        {"SnapshotId": snapshot, "Device": "/dev/xvda", "DiskType": "system"}])
    assert owner.image_ids(ImageOwnerAlias="self") == {from_snapshot, from_mapping}
    for image in (from_snapshot, from_mapping):
        assert owner.run_instances(image)


def test_create_image_without_source_is_rejected(new_actor):
    owner = new_actor()
    expect_error(lambda: owner.call("CreateImage", {"ImageName": "nothing"}),
                 "MissingParameter", 400)
    assert owner.image_ids(ImageOwnerAlias="self") == set()


def test_create_image_dry_run(new_actor):
    owner = new_actor()
    instance_id = owner.builder()
    expect_error(lambda: owner.create_image(InstanceId=instance_id, DryRun=True), *DRY_RUN)
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == set()


def test_create_image_dry_run_validates_the_source(new_actor):
    """A DryRun answers with the error the real call would give (ecs-api.md §1.11)."""
    owner = new_actor()
    unknown_instance = {"InstanceId": "i-doesnotexist0000000"}
    unknown_snapshot = {"SnapshotId": "s-doesnotexist0000000"}
    expect_error(lambda: owner.call("CreateImage", unknown_instance),
                 "InvalidInstanceId.NotFound", 404)
    expect_error(lambda: owner.call("CreateImage", {**unknown_instance, "DryRun": True}),
                 "InvalidInstanceId.NotFound", 404)
    expect_error(lambda: owner.call("CreateImage", unknown_snapshot),
                 "InvalidSnapshotId.NotFound", 404)
    expect_error(lambda: owner.call("CreateImage", {**unknown_snapshot, "DryRun": True}),
                 "InvalidSnapshotId.NotFound", 404)
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == set()


def test_create_image_client_token(new_actor):
    owner = new_actor()
    instance_id = owner.builder()
    t = token()
    first = owner.create_image(InstanceId=instance_id, ImageName="tokened", ClientToken=t)
    again = owner.create_image(InstanceId=instance_id, ImageName="tokened", ClientToken=t)
    assert again == first
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == {first}
    expect_error(lambda: owner.create_image(InstanceId=instance_id, ImageName="changed",
                                            ClientToken=t), *MISMATCH)
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == {first}
    # a new token makes a new image
    assert owner.create_image(InstanceId=instance_id, ClientToken=token()) != first


def test_client_tokens_are_per_account(new_actor):
    alice, bob = new_actor(), new_actor()
    t = token()
    mine = alice.create_image(InstanceId=alice.builder(), ImageName="same-name", ClientToken=t)
    theirs = bob.create_image(InstanceId=bob.builder(), ImageName="same-name", ClientToken=t)
    assert mine != theirs
    assert alice.image_ids(ImageOwnerAlias="self") == {mine}
    assert bob.image_ids(ImageOwnerAlias="self") == {theirs}


# --------------------------------------------------------------------------
# Creating -> Available (server with --image-build-seconds)
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_server():
    with running_server(prefix="imageshare-compat-slow-",
                        serve_args=("--image-build-seconds", BUILD_SECONDS)) as srv:
        yield srv


@pytest.fixture
def slow_actor(slow_server, style):
    return make_actor_factory(slow_server, style)


def wait_available(actor: Actor, image_id: str, region=None, timeout: float = 10 * BUILD_SECONDS):
    """Poll DescribeImages Status=Creating,Available until the image is Available;
    returns the Progress values seen while Creating."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        image = actor.image(image_id, region, Status="Creating,Available")
        if image["Status"] == "Available":
            assert image["Progress"] == "100%", image
            return seen
        assert image["Status"] == "Creating", image
        seen.append(progress(image))
        assert seen[-1] < 100, image
        assert time.monotonic() < deadline, f"{image_id} still Creating after {timeout}s"
        time.sleep(0.2)


def test_creating_to_available_transition(slow_actor):
    owner, friend = slow_actor(), slow_actor()
    instance_id = owner.builder()
    started = time.monotonic()
    image = owner.create_image(InstanceId=instance_id)

    creating = owner.image(image, ImageOwnerAlias="self", Status="Creating,Available")
    assert creating["Status"] == "Creating"
    assert progress(creating) < 100
    # the default Status filter is Available only
    assert image not in owner.image_ids(ImageOwnerAlias="self")
    assert owner.describe_images(ImageId=image) == []
    assert image in owner.image_ids(ImageOwnerAlias="self", Status="Creating")
    assert image in owner.image_ids(ImageOwnerAlias="self", Status="ALL")

    # an image that is not Available cannot be shared or published
    expect_error(lambda: owner.share(image, add=[friend]), "IncorrectImageStatus", 400)
    expect_error(lambda: owner.share(image, IsPublic=True), "IncorrectImageStatus", 400)
    # ... nor launched (the exact code is not settled by the docs)
    with pytest.raises(ApiError) as launch_error:
        owner.run_instances(image)
    assert 400 <= launch_error.value.http_status < 500

    seen = wait_available(owner, image)
    assert seen, "never observed the image while Creating"
    assert seen == sorted(seen), f"Progress went backwards: {seen}"
    assert time.monotonic() - started >= BUILD_SECONDS * 0.9

    assert image in owner.image_ids(ImageOwnerAlias="self")
    assert owner.image(image)["Progress"] == "100%"
    assert image not in owner.image_ids(ImageOwnerAlias="self", Status="Creating")
    owner.share(image, add=[friend])
    assert friend.image(image)["ImageOwnerAlias"] == "others"
    assert friend.run_instances(image)


def test_copy_is_creating_and_can_be_cancelled(slow_actor):
    owner = slow_actor()
    source = owner.create_image()
    wait_available(owner, source)

    doomed = owner.call("CopyImage", {"ImageId": source,
                                      "DestinationRegionId": OTHER_REGION})["ImageId"]
    kept = owner.call("CopyImage", {"ImageId": source,
                                    "DestinationRegionId": OTHER_REGION})["ImageId"]
    copying = owner.image(doomed, OTHER_REGION, Status="Creating")
    assert copying["IsCopied"] is True and progress(copying) < 100
    assert doomed not in owner.image_ids(OTHER_REGION, ImageOwnerAlias="self")

    # the source cannot be deleted while a copy of it is being made
    expect_error(lambda: owner.delete_image(source), "OperationDenied.ImageCopying", 403)
    expect_error(lambda: owner.call("CancelCopyImage", {"ImageId": doomed}),   # wrong region
                 "InvalidImageId.NotFound", 404)
    owner.call("CancelCopyImage", {"ImageId": doomed}, region=OTHER_REGION)
    assert owner.describe_images(OTHER_REGION, ImageId=doomed, Status="ALL") == []
    assert owner.image(source)["Status"] == "Available"    # the source is untouched

    wait_available(owner, kept, OTHER_REGION)
    expect_error(lambda: owner.call("CancelCopyImage", {"ImageId": kept}, region=OTHER_REGION),
                 "IncorrectImageStatus", 400)
    expect_error(lambda: owner.call("CancelCopyImage", {"ImageId": source}),
                 "ImageCreatedNotFromCopy", 400)
    assert owner.image_ids(OTHER_REGION, ImageOwnerAlias="self") == {kept}


# --------------------------------------------------------------------------
# CopyImage of own images
# --------------------------------------------------------------------------

def test_copy_own_image_to_other_and_same_region(new_actor):
    owner = new_actor()
    source = owner.create_image(ImageName="original", Description="the original")
    far = owner.call("CopyImage", {"ImageId": source, "DestinationRegionId": OTHER_REGION,
                                   "DestinationImageName": "far-copy"})["ImageId"]
    near = owner.call("CopyImage", {"ImageId": source, "DestinationRegionId": DEFAULT_REGION,
                                    "DestinationImageName": "near-copy"})["ImageId"]
    assert len({source, far, near}) == 3
    far_image = owner.image(far, OTHER_REGION, ImageOwnerAlias="self")
    assert far_image["ImageName"] == "far-copy" and far_image["IsCopied"] is True
    assert far_image["ImageOwnerId"] == int(owner.id)
    assert owner.image_ids(ImageOwnerAlias="self") == {source, near}
    assert owner.image_ids(OTHER_REGION, ImageOwnerAlias="self") == {far}

    # deleting the original leaves the copies alone
    owner.delete_image(source)
    assert owner.image_ids(ImageOwnerAlias="self") == {near}
    assert owner.run_instances(far, region=OTHER_REGION)


def test_copy_image_of_invisible_or_public_image_is_not_found(new_actor):
    owner, stranger = new_actor(), new_actor()
    image = owner.create_image()
    expect_error(lambda: stranger.call("CopyImage", {"ImageId": image}),
                 "InvalidImageId.NotFound", 404)
    expect_error(lambda: stranger.call("CopyImage", {"ImageId": image,
                                                     "DestinationRegionId": OTHER_REGION}),
                 "InvalidImageId.NotFound", 404)
    assert stranger.image_ids(ImageOwnerAlias="self", Status="ALL") == set()


def test_copy_image_dry_run_and_client_token(new_actor):
    owner = new_actor()
    source = owner.create_image()
    expect_error(lambda: owner.call("CopyImage", {"ImageId": source, "DryRun": True,
                                                  "DestinationRegionId": OTHER_REGION}),
                 *DRY_RUN)
    assert owner.image_ids(OTHER_REGION, ImageOwnerAlias="self", Status="ALL") == set()

    t = token()
    params = {"ImageId": source, "DestinationRegionId": OTHER_REGION, "ClientToken": t}
    first = owner.call("CopyImage", params)["ImageId"]
    assert owner.call("CopyImage", params)["ImageId"] == first
    assert owner.image_ids(OTHER_REGION, ImageOwnerAlias="self", Status="ALL") == {first}
    expect_error(lambda: owner.call("CopyImage", {**params, "DestinationImageName": "other"}),
                 *MISMATCH)
    assert owner.image_ids(OTHER_REGION, ImageOwnerAlias="self", Status="ALL") == {first}


# --------------------------------------------------------------------------
# ModifyImageAttribute, status filters, DeleteImage
# --------------------------------------------------------------------------

def test_describe_images_paging_spans_custom_and_system_images(new_actor):
    owner, friend = new_actor(), new_actor()
    shared = [owner.create_image() for _ in range(3)]
    for image in shared:
        owner.share(image, add=[friend])
    own = [friend.create_image() for _ in range(2)]
    expected_custom = set(shared) | set(own)
    everything = friend.describe_images(PageSize=100)
    total = len(everything)
    assert {i["ImageId"] for i in everything if i["ImageOwnerAlias"] != "system"} == expected_custom

    seen = []
    for page in range(1, total // 4 + 2):
        body = friend.call("DescribeImages", {"PageSize": 4, "PageNumber": page})
        assert body["TotalCount"] == total
        seen += [i["ImageId"] for i in body["Images"]["Image"]]
    assert len(seen) == len(set(seen)) == total, seen
    assert set(seen) == {i["ImageId"] for i in everything}
    expect_error(lambda: friend.call("DescribeImages", {"DryRun": True}), *DRY_RUN)


def test_modify_image_attribute(new_actor):
    owner = new_actor()
    image = owner.create_image(ImageName="before", Description="old text")
    owner.call("ModifyImageAttribute", {"ImageId": image, "ImageName": "after"})
    found = owner.image(image)
    assert found["ImageName"] == "after" and found["Description"] == "old text"
    owner.call("ModifyImageAttribute", {"ImageId": image, "Description": "new text"})
    assert owner.image(image)["Description"] == "new text"

    expect_error(lambda: owner.call("ModifyImageAttribute", {"ImageId": image,
                                                             "ImageName": "dry", "DryRun": True}),
                 *DRY_RUN)
    assert owner.image(image)["ImageName"] == "after"


def test_deprecated_status_and_status_filters(new_actor):
    owner = new_actor()
    kept, retired = owner.create_image(), owner.create_image()
    owner.call("ModifyImageAttribute", {"ImageId": retired, "Status": "Deprecated"})

    assert owner.image_ids(ImageOwnerAlias="self") == {kept}            # default: Available
    assert owner.image_ids(ImageOwnerAlias="self", Status="Deprecated") == {retired}
    assert owner.image_ids(ImageOwnerAlias="self", Status="Available,Deprecated") == {kept, retired}
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == {kept, retired}
    assert owner.image(retired, Status="Deprecated")["Status"] == "Deprecated"
    # a Deprecated image can still be launched by its owner
    assert owner.run_instances(retired)

    owner.call("ModifyImageAttribute", {"ImageId": retired, "Status": "Available"})
    assert owner.image_ids(ImageOwnerAlias="self") == {kept, retired}


def test_delete_image(new_actor):
    owner = new_actor()
    image = owner.create_image()
    expect_error(lambda: owner.delete_image(image, DryRun=True), *DRY_RUN)
    assert image in owner.image_ids(ImageOwnerAlias="self")
    owner.delete_image(image)
    assert owner.image_ids(ImageOwnerAlias="self", Status="ALL") == set()
    assert owner.describe_images(ImageId=image, Status="ALL") == []
    expect_error(lambda: owner.run_instances(image), "InvalidImageId.NotFound", 404)
    # public images cannot be deleted by anyone
    expect_error(lambda: owner.delete_image(PUBLIC_IMAGE), "InvalidImageId.NotFound", 404)
