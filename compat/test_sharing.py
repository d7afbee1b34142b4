"""Image sharing: the rules of the ECS guide "共享镜像" (seed rules S1-S15 in
ecs-api.md §8) and the decided sharing behaviours, each under the three client
styles (new SDK V3, new SDK V2, legacy SDK).

Every test creates its own accounts through the CLI so tests never see each
other's images -- except community (public) images, which every account of a
region sees; tests about those only assert on their own images.
"""

from __future__ import annotations

import re
import time

from conftest import (DEFAULT_REGION, OTHER_REGION, PUBLIC_IMAGE, Actor, expect_error,
                      make_actor_factory)

NOT_FOUND = ("InvalidImageId.NotFound", 404)
SHARED_IMAGE_GONE = ("SharedImageDeleted", 403)
UNKNOWN_ACCOUNT_ID = "9" * 16
SHARED_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def assert_invisible(actor: Actor, image_id: str, region: str = DEFAULT_REGION) -> None:
    """``image_id`` does not exist for ``actor`` in ``region``: absent from every
    listing, and a direct ImageId query is an empty list (not an error)."""
    for filters in ({"ImageOwnerAlias": "others"}, {}, {"ImageOwnerAlias": "self"}):
        assert image_id not in actor.image_ids(region, **filters), (actor, region, filters)
    for filters in ({}, {"ImageOwnerAlias": "others"}, {"Status": "ALL"}):
        assert actor.describe_images(region, ImageId=image_id, **filters) == [], \
            (actor, region, filters)


def assert_visible_as_shared(recipient: Actor, owner: Actor, image_id: str,
                             region: str = DEFAULT_REGION) -> None:
    """``recipient`` sees ``owner``'s ``image_id`` as a shared image (S12)."""
    assert image_id in recipient.image_ids(region, ImageOwnerAlias="others")
    assert image_id in recipient.image_ids(region)          # no alias: system + self + others
    assert image_id not in recipient.image_ids(region, ImageOwnerAlias="self")
    image = recipient.image(image_id, region)
    assert image["ImageOwnerAlias"] == "others", image
    assert isinstance(image["ImageOwnerId"], int) and not isinstance(image["ImageOwnerId"], bool)
    assert image["ImageOwnerId"] == int(owner.id), image
    assert image["Status"] == "Available"


def expect_not_found(fn) -> None:
    expect_error(fn, *NOT_FOUND)


def stopped_instance(actor: Actor, image_id: str = PUBLIC_IMAGE, region=None) -> str:
    """A Running instance that was then stopped (ReInitDisk wants a started-once,
    now Stopped instance; ReplaceSystemDisk wants a Stopped one)."""
    instance_id = actor.run_instances(image_id, region=region)[0]
    actor.stop(instance_id)
    return instance_id


def share_count(owner: Actor, image_id: str) -> int:
    return owner.share_permission(image_id)["TotalCount"]


# --------------------------------------------------------------------------
# the core flow, end to end
# --------------------------------------------------------------------------

def test_core_share_flow(new_actor):
    """share -> recipient sees -> recipient launches -> unshare -> recipient loses."""
    owner, friend, stranger = new_actor(), new_actor(), new_actor()
    image = owner.create_image(ImageName="core-flow", Description="core flow image")

    # before sharing nobody else sees or can use it
    assert_invisible(friend, image)
    expect_not_found(lambda: friend.run_instances(image))
    assert owner.image(image, ImageOwnerAlias="self")["IsSelfShared"] == "False"

    assert owner.share(image, add=[friend])["RequestId"]

    mine = owner.image(image, ImageOwnerAlias="self")
    assert mine["ImageOwnerAlias"] == "self"
    assert mine["IsSelfShared"] == "True"
    assert_visible_as_shared(friend, owner, image)
    seen = friend.image(image)
    assert seen["ImageName"] == "core-flow" and seen["Description"] == "core flow image"
    assert_invisible(stranger, image)

    # the recipient launches from it: RunInstances (Running) and CreateInstance (Stopped)
    launched = friend.run_instances(image, amount=2)
    created = friend.create_instance(image)
    described = friend.instances(launched + [created])
    assert {i: d["ImageId"] for i, d in described.items()} == dict.fromkeys(launched + [created], image)
    assert [described[i]["Status"] for i in launched] == ["Running", "Running"]
    assert described[created]["Status"] == "Stopped"
    expect_not_found(lambda: stranger.run_instances(image))

    # unshare: the recipient loses it
    owner.share(image, remove=[friend])
    assert owner.image(image, ImageOwnerAlias="self")["IsSelfShared"] == "False"
    assert_invisible(friend, image)
    expect_not_found(lambda: friend.run_instances(image))
    expect_not_found(lambda: friend.create_instance(image))

    friend.stop(launched[0])
    disk = friend.system_disk(launched[0])
    assert disk["ImageId"] == image
    expect_error(lambda: friend.reinit(disk["DiskId"]), *SHARED_IMAGE_GONE)

    # ... while the instances it already has keep working
    friend.start(launched[0])
    friend.stop(launched[1])
    friend.start(launched[1])
    friend.start(created)
    assert {d["Status"] for d in friend.instances(launched + [created]).values()} == {"Running"}


# --------------------------------------------------------------------------
# S1 / S14: recipients build instances from a shared image and use it for
# ReplaceSystemDisk
# --------------------------------------------------------------------------

def test_s1_recipient_launches_from_shared_image(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    ids = friend.run_instances(image, amount=3)
    assert len(set(ids)) == 3
    for instance_id in ids:
        disk = friend.system_disk(instance_id)
        assert disk["ImageId"] == image
        assert disk["Type"] == "system"
    single = friend.create_instance(image)
    assert friend.instance(single)["ImageId"] == image
    assert friend.instance(single)["Status"] == "Stopped"
    # the instances belong to the recipient, not to the owner
    assert owner.instances(ids + [single]) == {}


def test_s14_recipient_replaces_system_disk_with_shared_image(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    instance_id = friend.run_instances(PUBLIC_IMAGE)[0]
    old_disk = friend.system_disk(instance_id)
    assert old_disk["ImageId"] == PUBLIC_IMAGE

    # only a Stopped instance can have its system disk replaced
    expect_error(lambda: friend.replace_system_disk(instance_id, image),
                 "IncorrectInstanceStatus", 403)
    friend.stop(instance_id)
    new_disk_id = friend.replace_system_disk(instance_id, image)
    assert new_disk_id != old_disk["DiskId"]
    assert friend.disk(new_disk_id)["ImageId"] == image
    assert friend.system_disk(instance_id)["DiskId"] == new_disk_id

    # the new disk re-initialises from the (still shared) image, and the instance runs
    friend.reinit(new_disk_id)
    friend.start(instance_id)
    assert friend.instance(instance_id)["Status"] == "Running"


# --------------------------------------------------------------------------
# S2: shared images do not count toward the recipient's custom-image quota
# --------------------------------------------------------------------------

def test_s2_shared_images_do_not_count_toward_recipient_quota(start_server, style):
    srv = start_server("--custom-image-quota", 2)
    new = make_actor_factory(srv, style)
    owner, friend = new(), new()
    quota = ("QuotaExceed.Image", 403)

    shared = [owner.create_image(), owner.create_image()]
    expect_error(lambda: owner.create_image(), *quota)
    owner.share(shared[0], add=[friend])
    owner.share(shared[1], add=[friend])
    assert friend.image_ids(ImageOwnerAlias="others") == set(shared)

    # two shared-in images, and the recipient still creates its own full quota
    own = [friend.create_image(), friend.create_image()]
    expect_error(lambda: friend.create_image(), *quota)
    assert friend.image_ids(ImageOwnerAlias="self") == set(own)
    assert friend.image_ids(ImageOwnerAlias="others") == set(shared)

    # a same-region copy of a shared image is owned by the copier, so it counts
    same_region_copy = {"ImageId": shared[0], "DestinationRegionId": DEFAULT_REGION}
    expect_error(lambda: friend.call("CopyImage", same_region_copy), *quota)
    friend.delete_image(own[0])
    copy = friend.call("CopyImage", same_region_copy)["ImageId"]
    assert friend.image(copy, ImageOwnerAlias="self")["ImageOwnerAlias"] == "self"
    expect_error(lambda: friend.create_image(), *quota)

    # the quota is per region
    elsewhere = friend.create_image(region=OTHER_REGION)
    assert friend.image_ids(OTHER_REGION, ImageOwnerAlias="self") == {elsewhere}


# --------------------------------------------------------------------------
# S3: only your own custom images can be shared
# --------------------------------------------------------------------------

def test_s3_shared_in_image_cannot_be_reshared(new_actor):
    owner, friend, third = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])

    expect_not_found(lambda: friend.share(image, add=[third]))
    expect_not_found(lambda: friend.share(image, remove=[owner]))
    expect_not_found(lambda: friend.share(image, IsPublic=True))
    expect_not_found(lambda: friend.share_permission(image))
    assert_invisible(third, image)
    assert owner.shared_accounts(image) == [friend.id]


def test_s3_others_and_public_images_cannot_be_shared(new_actor):
    owner, stranger, friend = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    # someone else's (not shared) image
    expect_not_found(lambda: stranger.share(image, add=[friend]))
    expect_not_found(lambda: stranger.share_permission(image))
    # a public (system) image
    expect_not_found(lambda: owner.share(PUBLIC_IMAGE, add=[friend]))
    expect_not_found(lambda: owner.share_permission(PUBLIC_IMAGE))
    # someone else's community image
    owner.share(image, IsPublic=True)
    try:
        assert image in stranger.image_ids(ImageOwnerAlias="others", IsPublic=True)
        expect_not_found(lambda: stranger.share(image, add=[friend]))
        expect_not_found(lambda: stranger.share(image, IsPublic=False))
    finally:
        owner.share(image, IsPublic=False)
    assert image in owner.image_ids(ImageOwnerAlias="self")
    assert_invisible(friend, image)


def test_s3_recipient_cannot_modify_or_delete_shared_image(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image(ImageName="owned-by-owner")
    owner.share(image, add=[friend])
    expect_not_found(lambda: friend.delete_image(image))
    expect_not_found(lambda: friend.delete_image(image, Force=True))
    expect_not_found(lambda: friend.call("ModifyImageAttribute",
                                         {"ImageId": image, "ImageName": "hijacked"}))
    assert owner.image(image)["ImageName"] == "owned-by-owner"
    assert_visible_as_shared(friend, owner, image)


# --------------------------------------------------------------------------
# S4: at most 50 accounts per image; at most 10 accounts per call
# --------------------------------------------------------------------------

def test_s4_share_cap_is_50_accounts(new_actor):
    owner = new_actor()
    others = [new_actor() for _ in range(52)]
    image = owner.create_image()
    cap = ("QuotaExceed.ShareImageUser", 403)

    for batch in range(5):
        owner.share(image, add=others[batch * 10:(batch + 1) * 10])
        assert share_count(owner, image) == (batch + 1) * 10
    first50 = [a.id for a in others[:50]]
    assert sorted(owner.shared_accounts(image)) == sorted(first50)
    assert owner.image(image, ImageOwnerAlias="self")["IsSelfShared"] == "True"

    # the 51st account is refused and nothing changes
    expect_error(lambda: owner.share(image, add=[others[50]]), *cap)
    assert share_count(owner, image) == 50
    assert_invisible(others[50], image)
    # re-adding an account that already has it is a no-op, even at the cap
    owner.share(image, add=[others[0]])
    assert share_count(owner, image) == 50

    # a batch that would end above 50 changes nothing at all (all or nothing)
    owner.share(image, remove=[others[0]])
    assert share_count(owner, image) == 49
    expect_error(lambda: owner.share(image, add=[others[50], others[51]]), *cap)
    expect_error(lambda: owner.share(image, add=[others[0], others[50], others[51]],
                                     remove=[others[1]]), *cap)
    assert sorted(owner.shared_accounts(image)) == sorted(first50[1:])
    for actor in (others[0], others[50], others[51]):
        assert_invisible(actor, image)
    assert_visible_as_shared(others[1], owner, image)

    owner.share(image, add=[others[50], others[50]])      # a duplicate counts once
    assert share_count(owner, image) == 50
    for actor in others[1:51]:
        assert image in actor.image_ids(ImageOwnerAlias="others"), actor


def test_s4_only_first_10_accounts_per_call_are_processed(new_actor):
    owner = new_actor()
    others = [new_actor() for _ in range(11)]
    image = owner.create_image()

    # 10 real accounts, an 11th real one and a 12th that does not exist: only the
    # first ten are looked at, so the unknown 12th raises no error either
    owner.share(image, add=[*others, UNKNOWN_ACCOUNT_ID])
    assert sorted(owner.shared_accounts(image)) == sorted(a.id for a in others[:10])
    assert_invisible(others[10], image)
    for actor in others[:10]:
        assert_visible_as_shared(actor, owner, image)

    # the same limit applies to RemoveAccount.N
    owner.share(image, add=[others[10]])
    assert share_count(owner, image) == 11
    owner.share(image, remove=[*others[1:], others[0]])   # 11 entries, others[0] last
    assert owner.shared_accounts(image) == [others[0].id]
    assert_visible_as_shared(others[0], owner, image)


# --------------------------------------------------------------------------
# S5: sharing is per region; copying across regions
# --------------------------------------------------------------------------

def test_s5_shared_image_exists_only_in_its_region(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    assert_visible_as_shared(friend, owner, image)

    assert_invisible(friend, image, OTHER_REGION)
    expect_not_found(lambda: friend.run_instances(image, region=OTHER_REGION))
    expect_not_found(lambda: friend.create_instance(image, region=OTHER_REGION))
    far = stopped_instance(friend, region=OTHER_REGION)
    expect_not_found(lambda: friend.replace_system_disk(far, image))
    # the owner does not find it in another region either
    expect_not_found(lambda: owner.share(image, add=[friend], region=OTHER_REGION))
    expect_not_found(lambda: owner.share_permission(image, region=OTHER_REGION))

    # to use it elsewhere the owner copies it and shares the copy
    copy = owner.call("CopyImage", {"ImageId": image,
                                    "DestinationRegionId": OTHER_REGION})["ImageId"]
    assert copy != image
    assert owner.image(copy, OTHER_REGION, ImageOwnerAlias="self")["IsCopied"] is True
    assert_invisible(friend, copy, OTHER_REGION)          # copies are not shared
    owner.share(copy, add=[friend], region=OTHER_REGION)
    assert_visible_as_shared(friend, owner, copy, OTHER_REGION)
    assert friend.run_instances(copy, region=OTHER_REGION)
    friend.replace_system_disk(far, copy)
    assert_invisible(friend, copy, DEFAULT_REGION)


def test_s5_recipient_copies_shared_image_only_within_its_region(new_actor):
    owner, friend, third = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])

    expect_error(lambda: friend.call("CopyImage", {"ImageId": image,
                                                   "DestinationRegionId": OTHER_REGION}),
                 "OperationDenied.SameRegionOnly", 403)
    assert friend.image_ids(OTHER_REGION, ImageOwnerAlias="self") == set()

    copy = friend.call("CopyImage", {"ImageId": image, "DestinationRegionId": DEFAULT_REGION,
                                     "DestinationImageName": "my-copy"})["ImageId"]
    mine = friend.image(copy, ImageOwnerAlias="self")
    assert mine["ImageOwnerAlias"] == "self"
    assert mine["ImageOwnerId"] == int(friend.id)
    assert mine["ImageName"] == "my-copy"
    assert mine["IsCopied"] is True
    assert_invisible(owner, copy)                         # the copy is the copier's alone

    # the copy is the recipient's own image: it may be shared, and it survives the unshare
    friend.share(copy, add=[third])
    assert_visible_as_shared(third, friend, copy)
    owner.share(image, remove=[friend])
    assert_invisible(friend, image)
    assert copy in friend.image_ids(ImageOwnerAlias="self")
    assert friend.run_instances(copy)


# --------------------------------------------------------------------------
# S7: a shared image cannot be deleted, Force or not
# --------------------------------------------------------------------------

def test_s7_delete_refused_while_shared(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    expect_error(lambda: owner.delete_image(image), "ImageUseShared", 403)
    expect_error(lambda: owner.delete_image(image, Force=True), "ImageUseShared", 403)
    assert image in owner.image_ids(ImageOwnerAlias="self")
    assert_visible_as_shared(friend, owner, image)

    owner.share(image, remove=[friend])
    owner.delete_image(image)
    assert image not in owner.image_ids(ImageOwnerAlias="self", Status="ALL")
    assert_invisible(friend, image)


def test_s7_delete_refused_while_public(new_actor):
    owner = new_actor()
    image = owner.create_image()
    owner.share(image, IsPublic=True)
    try:
        expect_error(lambda: owner.delete_image(image), "ImageUseShared", 403)
        expect_error(lambda: owner.delete_image(image, Force=True), "ImageUseShared", 403)
    finally:
        owner.share(image, IsPublic=False)
    owner.delete_image(image)
    assert image not in owner.image_ids(ImageOwnerAlias="self", Status="ALL")


def test_delete_refused_only_while_the_owners_instances_use_it_unless_force(new_actor):
    owner, friend = new_actor(), new_actor()
    in_use = ("ImageUsingByInstance", 403)

    # an instance of another account (launched while shared) does not hold the image back: the owner cannot
    # see it, and after unsharing could do nothing to free the image (docs/errors.md#imageusingbyinstance)
    image = owner.create_image()
    owner.share(image, add=[friend])
    friends_instance = friend.run_instances(image)[0]
    owner.share(image, remove=[friend])
    owner.delete_image(image)
    assert image not in owner.image_ids(ImageOwnerAlias="self", Status="ALL")
    assert friend.instance(friends_instance)["Status"] == "Running"

    # the owner's own instances do; Force deletes anyway
    image2 = owner.create_image()
    own_instance = owner.run_instances(image2)[0]
    expect_error(lambda: owner.delete_image(image2), *in_use)
    owner.delete_image(image2, Force=True)
    assert image2 not in owner.image_ids(ImageOwnerAlias="self", Status="ALL")
    owner.stop(own_instance)
    owner.start(own_instance)
    assert owner.instance(own_instance)["Status"] == "Running"


# --------------------------------------------------------------------------
# S8 / S9: after a shared image is deleted
# --------------------------------------------------------------------------

def test_s8_deleted_shared_image_is_gone_for_recipient(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    target = stopped_instance(friend)
    assert_visible_as_shared(friend, owner, image)

    owner.share(image, remove=[friend])
    owner.delete_image(image)

    assert_invisible(friend, image)
    expect_not_found(lambda: friend.run_instances(image))
    expect_not_found(lambda: friend.create_instance(image))
    expect_not_found(lambda: friend.replace_system_disk(target, image))
    assert friend.system_disk(target)["ImageId"] == PUBLIC_IMAGE   # untouched


def test_s9_recipient_instance_survives_but_cannot_reinit(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    instance_id = friend.run_instances(image)[0]
    friend.stop(instance_id)
    disk_id = friend.system_disk(instance_id)["DiskId"]
    friend.reinit(disk_id)                                # fine while shared

    owner.share(image, remove=[friend])
    owner.delete_image(image, Force=True)                 # in use by friend's instance
    assert image not in owner.image_ids(ImageOwnerAlias="self", Status="ALL")

    expect_error(lambda: friend.reinit(disk_id), *SHARED_IMAGE_GONE)
    # the instance itself keeps working
    friend.start(instance_id)
    assert friend.instance(instance_id)["Status"] == "Running"
    friend.stop(instance_id)
    assert friend.instance(instance_id)["Status"] == "Stopped"
    disk = friend.disk(disk_id)
    assert disk["ImageId"] == image and disk["InstanceId"] == instance_id

    # a system disk replaced from an image that still exists re-initialises again
    new_disk = friend.replace_system_disk(instance_id, PUBLIC_IMAGE)
    friend.reinit(new_disk)
    friend.start(instance_id)


# --------------------------------------------------------------------------
# S10 / S15: share targets are account IDs
# --------------------------------------------------------------------------

def test_s10_unknown_account_is_rejected(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    unknown = ("InvalidAccount.NotFound", 404)
    expect_error(lambda: owner.share(image, add=[UNKNOWN_ACCOUNT_ID]), *unknown)
    # all or nothing: the valid account in the same call is not added
    expect_error(lambda: owner.share(image, add=[friend, UNKNOWN_ACCOUNT_ID]), *unknown)
    assert share_count(owner, image) == 0
    assert_invisible(friend, image)

    owner.share(image, add=[friend])
    expect_error(lambda: owner.share(image, remove=[UNKNOWN_ACCOUNT_ID]), *unknown)
    expect_error(lambda: owner.share(image, remove=[friend, UNKNOWN_ACCOUNT_ID]), *unknown)
    assert owner.shared_accounts(image) == [friend.id]


def test_s10_sharing_with_yourself_is_rejected(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    yourself = ("InvalidAccount.Forbbiden", 404)
    expect_error(lambda: owner.share(image, add=[owner]), *yourself)
    expect_error(lambda: owner.share(image, add=[friend, owner]), *yourself)
    assert share_count(owner, image) == 0
    assert_invisible(friend, image)
    assert owner.image(image, ImageOwnerAlias="self")["IsSelfShared"] == "False"


def test_s10_readd_and_remove_absent_are_noops(new_actor):
    owner, friend, other = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    before = owner.share_permission(image)["Accounts"]["Account"]
    owner.share(image, add=[friend])
    owner.share(image, add=[friend, friend])
    owner.share(image, remove=[other])                    # exists, but has no share
    after = owner.share_permission(image)
    assert after["TotalCount"] == 1
    assert after["Accounts"]["Account"] == before
    assert_visible_as_shared(friend, owner, image)
    assert_invisible(other, image)
    # removing twice is fine as well
    owner.share(image, remove=[friend])
    owner.share(image, remove=[friend])
    assert share_count(owner, image) == 0
    # a call with nothing to do succeeds
    assert owner.share(image)["RequestId"]


def test_s15_account_id_is_the_share_target(server, style):
    owner_account, friend_account = server.create_account(), server.create_account()
    listed = {a["AccountId"] for a in server.list_accounts()}
    assert {owner_account.account_id, friend_account.account_id} <= listed
    owner = Actor(server, owner_account, style)
    friend = Actor(server, friend_account, style)
    image = owner.create_image()
    owner.share(image, add=[friend_account.account_id])

    body = owner.share_permission(image)
    assert [a["AliyunId"] for a in body["Accounts"]["Account"]] == [friend_account.account_id]
    assert isinstance(body["Accounts"]["Account"][0]["AliyunId"], str)
    assert friend.image(image)["ImageOwnerId"] == int(owner_account.account_id)

    # the share is the account's, whichever of its AccessKeys calls
    second_key = Actor(server, server.create_key(friend_account.account_id), style)
    assert second_key.account.access_key_id != friend_account.access_key_id
    assert_visible_as_shared(second_key, owner, image)
    assert second_key.run_instances(image)


# --------------------------------------------------------------------------
# S11: unsharing
# --------------------------------------------------------------------------

def test_s11_unshare_revokes_only_that_account(new_actor):
    owner, gone, stays = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[gone, stays])
    instance_id = stopped_instance(gone, image)
    spare = stopped_instance(gone)
    disk_id = gone.system_disk(instance_id)["DiskId"]

    owner.share(image, remove=[gone])

    assert_invisible(gone, image)
    expect_not_found(lambda: gone.run_instances(image))
    expect_not_found(lambda: gone.create_instance(image))
    expect_not_found(lambda: gone.replace_system_disk(spare, image))
    expect_error(lambda: gone.reinit(disk_id), *SHARED_IMAGE_GONE)
    gone.start(instance_id)
    assert gone.instance(instance_id)["Status"] == "Running"
    # the other recipient is unaffected
    assert_visible_as_shared(stays, owner, image)
    assert stays.run_instances(image)
    assert owner.shared_accounts(image) == [stays.id]

    # sharing again restores access, including ReInitDisk
    owner.share(image, add=[gone])
    gone.stop(instance_id)
    gone.reinit(disk_id)
    assert gone.replace_system_disk(spare, image)


# --------------------------------------------------------------------------
# S12: how recipients find shared images
# --------------------------------------------------------------------------

def test_s12_recipient_listing(new_actor):
    alice, bob, friend = new_actor(), new_actor(), new_actor()
    from_alice = {alice.create_image(), alice.create_image()}
    from_bob = bob.create_image()
    not_shared = alice.create_image()
    for image in from_alice:
        alice.share(image, add=[friend])
    bob.share(from_bob, add=[friend])
    own = friend.create_image()

    everything = from_alice | {from_bob}
    assert friend.image_ids(ImageOwnerAlias="others") == everything
    assert friend.image_ids(ImageOwnerAlias="others", IsPublic=False) == everything
    assert friend.image_ids(ImageOwnerAlias="self") == {own}
    assert friend.custom_image_ids() == everything | {own}
    assert friend.image_ids(ImageOwnerAlias="system") & (everything | {own}) == set()
    assert not_shared not in friend.custom_image_ids()

    by_owner = friend.image_ids(ImageOwnerAlias="others", ImageOwnerId=int(alice.id))
    assert by_owner == from_alice
    assert friend.image_ids(ImageOwnerAlias="others", ImageOwnerId=int(bob.id)) == {from_bob}
    for image in friend.describe_images(ImageOwnerAlias="others"):
        owner = alice if image["ImageId"] in from_alice else bob
        assert image["ImageOwnerAlias"] == "others"
        assert image["ImageOwnerId"] == int(owner.id)
    # the same images in another region: none
    assert friend.image_ids(OTHER_REGION, ImageOwnerAlias="others") == set()
    assert friend.custom_image_ids(OTHER_REGION) == set()


# --------------------------------------------------------------------------
# S13: DescribeImageSharePermission
# --------------------------------------------------------------------------

def test_s13_describe_image_share_permission(new_actor):
    owner = new_actor()
    others = [new_actor() for _ in range(5)]
    image = owner.create_image()

    empty = owner.share_permission(image)
    assert empty["TotalCount"] == 0
    assert empty["ImageId"] == image and empty["RegionId"] == DEFAULT_REGION
    assert empty["Accounts"]["Account"] == []
    assert empty["ShareGroups"]["ShareGroup"] == []

    # three calls, more than a second apart, so SharedTime differs between them
    first, second, third = others[:2], others[2:4], others[4:]
    owner.share(image, add=list(reversed(sorted(first, key=lambda a: a.id))))
    time.sleep(1.1)
    owner.share(image, add=second)
    time.sleep(1.1)
    owner.share(image, add=third)

    body = owner.share_permission(image, PageSize=10)
    accounts = body["Accounts"]["Account"]
    assert body["TotalCount"] == 5 and body["PageSize"] == 10 and body["PageNumber"] == 1
    for account in accounts:
        assert isinstance(account["AliyunId"], str)
        assert SHARED_TIME_RE.match(account["SharedTime"]), account
    times = [a["SharedTime"] for a in accounts]
    assert times[0] == times[1] < times[2] == times[3] < times[4], times
    expected = (sorted(a.id for a in first) + sorted(a.id for a in second)
                + [a.id for a in third])
    assert [a["AliyunId"] for a in accounts] == expected

    # paging
    pages = [owner.share_permission(image, PageSize=2, PageNumber=n) for n in (1, 2, 3, 4)]
    assert [p["TotalCount"] for p in pages] == [5, 5, 5, 5]
    assert [len(p["Accounts"]["Account"]) for p in pages] == [2, 2, 1, 0]
    assert [a["AliyunId"] for p in pages for a in p["Accounts"]["Account"]] == expected

    # re-adding keeps the original SharedTime and position
    owner.share(image, add=[first[0]])
    assert owner.share_permission(image)["Accounts"]["Account"] == accounts

    # public: ShareGroup "all"; the account count is unchanged
    owner.share(image, IsPublic=True)
    try:
        public = owner.share_permission(image)
        assert public["ShareGroups"]["ShareGroup"] == [{"Group": "all"}]
        assert public["TotalCount"] == 5
    finally:
        owner.share(image, IsPublic=False)
    assert owner.share_permission(image)["ShareGroups"]["ShareGroup"] == []

    expect_error(lambda: owner.call("DescribeImageSharePermission", {}),
                 "MissingParameter", 400)


def test_s13_accounts_ordered_by_shared_time_then_aliyun_id(new_actor):
    """The order is the one a client can check: by the SharedTime values returned,
    then by AliyunId -- also for accounts added by separate calls within the same
    second (SharedTime has one-second resolution on the wire)."""
    owner = new_actor()
    low, high = sorted((new_actor(), new_actor()), key=lambda a: a.id)
    image = owner.create_image()
    owner.share(image, add=[high])      # two calls, normally within the same second
    owner.share(image, add=[low])
    accounts = owner.share_permission(image)["Accounts"]["Account"]
    assert accounts == sorted(accounts, key=lambda a: (a["SharedTime"], a["AliyunId"])), \
        f"Accounts not ordered by (SharedTime, AliyunId): {accounts}"


# --------------------------------------------------------------------------
# only Available images can be shared
# --------------------------------------------------------------------------

def test_deprecated_image_cannot_be_shared(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.call("ModifyImageAttribute", {"ImageId": image, "Status": "Deprecated"})
    assert image in owner.image_ids(ImageOwnerAlias="self", Status="Deprecated")

    expect_error(lambda: owner.share(image, add=[friend]), "IncorrectImageStatus", 400)
    expect_error(lambda: owner.share(image, IsPublic=True), "IncorrectImageStatus", 400)
    assert share_count(owner, image) == 0
    assert_invisible(friend, image)

    owner.call("ModifyImageAttribute", {"ImageId": image, "Status": "Available"})
    owner.share(image, add=[friend])
    assert_visible_as_shared(friend, owner, image)


# --------------------------------------------------------------------------
# community (public) images
# --------------------------------------------------------------------------

def test_community_image_visible_to_every_account_of_the_region(new_actor):
    owner, someone, anyone = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, IsPublic=True)
    try:
        for viewer in (someone, anyone):
            community = {i["ImageId"]: i for i in viewer.describe_images(
                ImageOwnerAlias="others", IsPublic=True)}
            assert image in community, viewer
            assert community[image]["ImageOwnerAlias"] == "others"
            assert community[image]["ImageOwnerId"] == int(owner.id)
            assert community[image]["IsPublic"] is True
            # community images are not "shared with" the viewer
            assert image not in viewer.image_ids(ImageOwnerAlias="others")
            assert image not in viewer.image_ids(ImageOwnerAlias="self")
            # ... not in another region
            assert image not in viewer.image_ids(OTHER_REGION, ImageOwnerAlias="others",
                                                 IsPublic=True)
            expect_not_found(lambda: viewer.run_instances(image, region=OTHER_REGION))
        instance_id = someone.run_instances(image)[0]
        assert anyone.create_instance(image)
        assert owner.image(image, ImageOwnerAlias="self")["IsPublic"] is True
    finally:
        owner.share(image, IsPublic=False)

    # unpublished: gone for everyone but the owner
    for viewer in (someone, anyone):
        assert image not in viewer.image_ids(ImageOwnerAlias="others", IsPublic=True)
        assert_invisible(viewer, image)
        expect_not_found(lambda: viewer.run_instances(image))
    assert owner.image(image, ImageOwnerAlias="self")["IsPublic"] is False
    someone.stop(instance_id)
    expect_error(lambda: someone.reinit(someone.system_disk(instance_id)["DiskId"]),
                 *SHARED_IMAGE_GONE)
    someone.start(instance_id)


# --------------------------------------------------------------------------
# DryRun on sharing calls
# --------------------------------------------------------------------------

def test_share_dry_run_changes_nothing(new_actor):
    owner, friend, other = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    dry = ("DryRunOperation", 400)
    expect_error(lambda: owner.share(image, add=[friend], DryRun=True), *dry)
    assert share_count(owner, image) == 0
    assert_invisible(friend, image)
    expect_error(lambda: owner.share(image, IsPublic=True, DryRun=True), *dry)
    assert owner.share_permission(image)["ShareGroups"]["ShareGroup"] == []
    assert image not in other.image_ids(ImageOwnerAlias="others", IsPublic=True)

    owner.share(image, add=[friend])
    expect_error(lambda: owner.share(image, remove=[friend], DryRun=True), *dry)
    assert owner.shared_accounts(image) == [friend.id]
    assert_visible_as_shared(friend, owner, image)


def test_share_dry_run_answers_with_the_real_error(new_actor):
    """DryRun validates like the real call: a request that would fail answers with
    that failure, not DryRunOperation (ecs-api.md §1.11)."""
    owner, friend, other = new_actor(), new_actor(), new_actor()
    image = owner.create_image()
    expect_error(lambda: owner.share(image, add=[owner], DryRun=True),
                 "InvalidAccount.Forbbiden", 404)
    expect_not_found(lambda: friend.share(image, add=[other], DryRun=True))
    expect_error(lambda: owner.share(image, add=[UNKNOWN_ACCOUNT_ID], DryRun=True),
                 "InvalidAccount.NotFound", 404)
    expect_error(lambda: owner.share(image, add=[friend, UNKNOWN_ACCOUNT_ID], DryRun=True),
                 "InvalidAccount.NotFound", 404)
    expect_error(lambda: owner.share(image, remove=[UNKNOWN_ACCOUNT_ID], DryRun=True),
                 "InvalidAccount.NotFound", 404)
    assert share_count(owner, image) == 0


def test_s5_recipient_cross_region_copy_dry_run_is_refused(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    owner.share(image, add=[friend])
    expect_error(lambda: friend.call("CopyImage", {"ImageId": image, "DryRun": True,
                                                   "DestinationRegionId": OTHER_REGION}),
                 "OperationDenied.SameRegionOnly", 403)
    # the same-region dry run passes, and changes nothing
    expect_error(lambda: friend.call("CopyImage", {"ImageId": image, "DryRun": True,
                                                   "DestinationRegionId": DEFAULT_REGION}),
                 "DryRunOperation", 400)
    assert friend.image_ids(ImageOwnerAlias="self", Status="ALL") == set()
    assert friend.image_ids(OTHER_REGION, ImageOwnerAlias="self", Status="ALL") == set()


# --------------------------------------------------------------------------
# wire shapes of the sharing responses, read through the SDKs' generic path
# --------------------------------------------------------------------------

def test_sharing_responses_raw_json_shapes(new_actor):
    owner, friend = new_actor(), new_actor()
    image = owner.create_image()
    body = owner.call("ModifyImageSharePermission",
                      {"ImageId": image, "AddAccount": [friend.id]}, raw=True)
    assert set(body) == {"RequestId"}, body

    perm = owner.call("DescribeImageSharePermission", {"ImageId": image}, raw=True)
    for key in ("TotalCount", "PageNumber", "PageSize"):
        assert type(perm[key]) is int, (key, perm)
    assert perm["Accounts"] == {"Account": [{"AliyunId": friend.id,
                                             "SharedTime": perm["Accounts"]["Account"][0]["SharedTime"]}]}
    assert perm["ShareGroups"] == {"ShareGroup": []}

    seen = friend.call("DescribeImages", {"ImageId": image}, raw=True)
    assert type(seen["TotalCount"]) is int and seen["TotalCount"] == 1
    shared = seen["Images"]["Image"][0]
    assert type(shared["ImageOwnerId"]) is int and shared["ImageOwnerId"] == int(owner.id)
    assert shared["ImageOwnerAlias"] == "others"
    assert type(shared["IsPublic"]) is bool and shared["IsPublic"] is False
    assert type(shared["IsSelfShared"]) is str
    assert shared["Progress"] == "100%"
    assert type(shared["Size"]) is int
    mine = owner.call("DescribeImages", {"ImageId": image}, raw=True)["Images"]["Image"][0]
    assert mine["IsSelfShared"] == "True" and mine["ImageOwnerAlias"] == "self"

    run = friend.call("RunInstances", {"ImageId": image, "InstanceType": "ecs.g7.large",
                                       "Amount": 1}, raw=True)
    assert isinstance(run["InstanceIdSets"]["InstanceIdSet"], list)
    owner.share(image, remove=[friend])
    empty = friend.call("DescribeImages", {"ImageId": image}, raw=True)
    assert empty["TotalCount"] == 0 and empty["Images"] == {"Image": []}
