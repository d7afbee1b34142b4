"""ansible-core 2.19 + ansible-alicloud 1.20.0 (legacy ali_* modules, built on footmark), run by REAL
``ansible-playbook`` subprocesses against ImageShare.

The modules have no endpoint option; ``HTTP_PROXY=http://127.0.0.1:PORT`` in ansible-playbook's
environment reaches the modules it runs on the implicit localhost, and through them footmark's
aliyunsdkcore (see ``run_playbook`` in conftest.py). Credentials come from the environment
(OWNER_AK/OWNER_SK, RECIPIENT_AK/RECIPIENT_SK/RECIPIENT_ID) and are merged into each task.

* ``test_seed_story``: docs/examples/ansible-seed-story.yml (the README example, so it cannot rot),
  then playbooks/unshare.yml (unshare, the recipient loses the image and keeps its instance, the owner
  deletes the image without Force, cleanup). Sharing goes through ``command`` tasks.
* ``test_lifecycle``: playbooks/lifecycle.yml, every task of ali_security_group, ali_instance
  (count_tag/tags/user_data; stopped/running/restarted/absent), ali_instance_info (filters),
  ali_disk_info, ali_image (from an instance and from a snapshot), ali_image_info, with re-runs that
  must report changed=false. Decoys launched beforehand must come out untouched: ali_instance selects
  instances with DescribeInstances ZoneId + Tag.N, and when a filter is ignored it renames, re-tags or
  deletes instances that are not its own (issue 12 §3).

ansible-playbook runs are slow (a second or two per task, plus footmark's 10 s sleep after each
RunInstances), so each test is one or two playbook runs with many tasks.
"""

from __future__ import annotations

from clients.conftest import (EXAMPLES, OTHER_ZONE, PLAYBOOKS, PUBLIC_IMAGE, ZONE,
                              assert_playbook_ok, run_playbook)


def test_seed_story(server, owner, recipient):
    env = {**owner.env("OWNER"), **recipient.env("RECIPIENT")}

    example = EXAMPLES / "ansible-seed-story.yml"
    assert_playbook_ok(run_playbook(server, example, env, {}), example)

    # what the example did, seen through the SDK
    [image_id] = owner.sdk.custom_image_ids(ImageOwnerAlias="self")
    assert owner.sdk.image(image_id)["ImageName"] == "seed-story-image"
    assert owner.sdk.shared_accounts(image_id) == [recipient.id]
    [owner_instance] = owner.all_instances()
    [recipient_instance] = recipient.all_instances().values()
    assert recipient_instance["ImageId"] == image_id and recipient_instance["Status"] == "Running"
    assert recipient_instance["ZoneId"] == ZONE
    assert {t["TagKey"]: t["TagValue"] for t in recipient_instance["Tags"]["Tag"]} == \
        {"seed-story": "recipient"}
    [recipient_group] = recipient_instance["SecurityGroupIds"]["SecurityGroupId"]

    unshare = PLAYBOOKS / "unshare.yml"
    assert_playbook_ok(run_playbook(server, unshare, env, {
        "image_id": image_id, "owner_instance": owner_instance,
        "recipient_instance": recipient_instance["InstanceId"], "recipient_group": recipient_group,
        "zone": ZONE}), unshare)

    assert owner.sdk.describe_images(ImageId=image_id) == []
    assert owner.all_instances() == {} and recipient.all_instances() == {}
    for person in (owner, recipient):
        groups = person.sdk.call("DescribeSecurityGroups", {}, raw=True)["SecurityGroups"]["SecurityGroup"]
        assert groups == [], groups


def test_lifecycle(server, owner, recipient):
    group = owner.security_group("decoys")
    decoy_zone = owner.launch(group, zone=OTHER_ZONE, name="decoy-zone", tags={"app": "web"})
    decoy_tag = owner.launch(group, zone=ZONE, name="decoy-tag", tags={"app": "db"})
    stranger = recipient.launch(recipient.security_group(), zone=ZONE, name="decoy-account",
                                tags={"app": "web"})
    before = {**owner.instances([decoy_zone, decoy_tag]), **recipient.instances([stranger])}

    lifecycle = PLAYBOOKS / "lifecycle.yml"
    results = assert_playbook_ok(run_playbook(server, lifecycle, owner.env("OWNER"), {
        "zone": ZONE, "other_zone": OTHER_ZONE, "public_image": PUBLIC_IMAGE,
        "decoy_zone": decoy_zone, "decoy_tag": decoy_tag}), lifecycle)

    # the decoys are untouched: same name, description, tags and state as before the play
    after = {**owner.instances([decoy_zone, decoy_tag]), **recipient.instances([stranger])}
    assert set(after) == {decoy_zone, decoy_tag, stranger}, "ali_instance deleted an instance not its own"
    for instance_id, was in before.items():
        now = after[instance_id]
        for member in ("InstanceName", "Description", "HostName", "Status", "Tags"):
            assert now[member] == was[member], (instance_id, member, was[member], now[member])

    # what the play created is gone again, and only that
    assert set(owner.all_instances()) == {decoy_zone, decoy_tag}
    assert owner.instances(results["web_ids"]) == {}
    assert not owner.group_exists(results["group"]) and owner.group_exists(group)
    assert owner.sdk.custom_image_ids(ImageOwnerAlias="self") == set()
