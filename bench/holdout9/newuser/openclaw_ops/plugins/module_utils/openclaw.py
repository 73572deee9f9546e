# -*- coding: utf-8 -*-
# MIT License (see galaxy.yml)
"""Shared code of the acme.openclaw modules: calls of the gateway's /tools/invoke."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

# Session statuses a run can end with; a wait is over once a row shows one.
ENDED_STATUSES = ("done", "failed", "timeout", "killed")
ALL_STATUSES = ("running", "queued") + ENDED_STATUSES

# Options every module of the collection takes.
COMMON_ARGS = {
    "gateway_url": {"type": "str", "default": "http://127.0.0.1:18789"},
    "token": {"type": "str", "required": True, "no_log": True},
    "agent": {"type": "str"},
    "timeout": {"type": "int", "default": 30},
}


class GatewayError(Exception):
    pass


def invoke(module, tool, args=None):
    p = module.params
    body = {"tool": tool, "args": args or {}}
    if p.get("agent"):
        body["agentId"] = p["agent"]
    try:
        resp = open_url(
            p["gateway_url"].rstrip("/") + "/tools/invoke",
            method="POST",
            data=json.dumps(body),
            headers={"Authorization": "Bearer %s" % p["token"], "Content-Type": "application/json"},
            timeout=p["timeout"],
        )
        payload = json.loads(resp.read())
    except HTTPError as e:
        raise GatewayError("%s returned HTTP %s" % (tool, e.code))
    except URLError as e:
        raise GatewayError("gateway unreachable: %s" % e.reason)
    if not payload.get("ok"):
        raise GatewayError(payload.get("error", {}).get("message", "tool call refused"))
    result = payload["result"]
    if isinstance(result.get("details"), dict):
        return result["details"]
    return json.loads(result["content"][0]["text"])


def list_sessions(module, search=None):
    args = {"limit": 200}
    if search:
        args["search"] = search
    rows = []
    while True:
        page = invoke(module, "sessions_list", args)
        rows.extend(page.get("sessions", []))
        if not page.get("hasMore"):
            return rows
        args["offset"] = page["nextOffset"]


def find_session(module, key):
    for row in list_sessions(module, search=key):
        if row.get("key") == key:
            return row
    return None
