"""One ECS call for the steps no ali_* module can do (share an image, snapshot a disk), run by the
playbooks' `command` tasks with the controller's Python:

    {{ ansible_playbook_python }} {{ playbook_dir }}/ecs_call.py OWNER ModifyImageSharePermission ImageId=m-… AddAccount.1=…

ROLE selects the keys: the environment variables ROLE_AK and ROLE_SK. The region is cn-hangzhou unless
ALICLOUD_REGION says otherwise. It uses aliyunsdkcore + aliyunsdkecs (footmark's own SDK) without an
endpoint, like footmark: HTTP_PROXY, inherited from ansible-playbook, sends the request to ImageShare.
Prints the JSON answer; an ECS error is printed on stderr with exit status 1.
"""
import importlib
import os
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient


def main(role: str, action: str, *pairs: str) -> int:
    module = importlib.import_module(f"aliyunsdkecs.request.v20140526.{action}Request")
    request = getattr(module, f"{action}Request")()
    request.set_accept_format("json")
    for pair in pairs:
        key, _, value = pair.partition("=")
        request.add_query_param(key, value)
    client = AcsClient(os.environ[f"{role}_AK"], os.environ[f"{role}_SK"],
                       os.environ.get("ALICLOUD_REGION", "cn-hangzhou"))
    try:
        print(client.do_action_with_exception(request).decode())
    except ServerException as error:
        print(f"{error.get_error_code()}: {error.get_error_msg()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
