#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see galaxy.yml)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openclaw_session_wait
short_description: Wait until an OpenClaw session's last run has ended
description:
  - Polls C(sessions_list) until the session's status is one of O(status).
  - Fails when the session ends with a status in O(fail_on).
options:
  key:
    description: The session key, for example C(agent:main:deploy-bot).
    type: str
    required: true
  status:
    description: Statuses that end the wait.
    type: list
    elements: str
    default: [done, failed, timeout, killed]
  fail_on:
    description: Statuses that make the task fail once the wait is over.
    type: list
    elements: str
    default: [failed, timeout]
  timeout:
    description: Seconds to wait in all (each HTTP call has its own O(timeout) too).
    type: int
    default: 30
  poll:
    description: Seconds between two polls.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Wait for the nightly run to finish
  acme.openclaw.openclaw_session_wait:
    key: agent:main:nightly
    token: "{{ openclaw_token }}"
    timeout: 1800
  register: nightly
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.acme.openclaw.plugins.module_utils.openclaw import (
    ALL_STATUSES,
    COMMON_ARGS,
    ENDED_STATUSES,
    GatewayError,
    find_session,
)


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        key=dict(type="str", required=True),
        status=dict(type="list", elements="str", choices=list(ALL_STATUSES), default=list(ENDED_STATUSES)),
        fail_on=dict(type="list", elements="str", choices=list(ALL_STATUSES), default=["failed", "timeout"]),
        poll=dict(type="int", default=5),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    wait_s = p["timeout"]
    deadline = time.monotonic() + wait_s
    polls = 0
    row = None
    while True:
        polls += 1
        try:
            row = find_session(module, p["key"])
        except GatewayError as e:
            module.fail_json(msg=str(e), polls=polls)
        if row is None:
            module.fail_json(msg="no session %s" % p["key"], polls=polls)
        if row.get("status") in p["status"]:
            break
        if module.check_mode or time.monotonic() >= deadline:
            module.fail_json(
                msg="session %s still %s after %ss" % (p["key"], row.get("status"), wait_s),
                reason="timeout",
                status=row.get("status"),
                polls=polls,
            )
        time.sleep(p["poll"])

    status = row.get("status")
    result = dict(
        changed=False,
        key=p["key"],
        status=status,
        aborted=bool(row.get("abortedLastRun")),
        runtime_ms=row.get("runtimeMs"),
        polls=polls,
    )
    if status in p["fail_on"]:
        result["msg"] = "session %s ended %s" % (p["key"], status)
        module.fail_json(**result)
    if status == "killed" and not row.get("abortedLastRun"):
        module.warn("session %s says killed but was not aborted; check the gateway logs" % p["key"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
