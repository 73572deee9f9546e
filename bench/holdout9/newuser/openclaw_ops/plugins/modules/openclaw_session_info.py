#!/usr/bin/python
# -*- coding: utf-8 -*-
# MIT License (see galaxy.yml)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openclaw_session_info
short_description: List OpenClaw sessions, optionally only some statuses
options:
  status:
    description: Only sessions whose last run has one of these statuses.
    type: list
    elements: str
  search:
    description: Passed to sessions_list as C(search).
    type: str
"""

RETURN = r"""
sessions:
  description: The rows, as sessions_list returns them.
  type: list
  returned: always
ended_badly:
  description: How many of them ended failed, on a time limit, or stopped.
  type: int
  returned: always
"""

from collections import Counter

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.acme.openclaw.plugins.module_utils.openclaw import (
    ALL_STATUSES,
    COMMON_ARGS,
    GatewayError,
    list_sessions,
)


def main():
    argument_spec = dict(COMMON_ARGS)
    argument_spec.update(
        status=dict(type="list", elements="str", choices=list(ALL_STATUSES)),
        search=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    try:
        rows = list_sessions(module, search=p["search"])
    except GatewayError as e:
        module.fail_json(msg=str(e))
    if p["status"]:
        rows = [r for r in rows if r.get("status") in p["status"]]
    counts = Counter(r.get("status") for r in rows)
    module.exit_json(
        changed=False,
        sessions=rows,
        ended_badly=sum(counts[s] for s in ("failed", "timeout", "killed")),
    )


if __name__ == "__main__":
    main()
