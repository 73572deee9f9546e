# -*- coding: utf-8 -*-
# MIT License (see galaxy.yml)
"""Jinja filters for playbooks that handle OpenClaw session rows.

    {{ info.sessions | openclaw_by_status('timeout') | map(attribute='key') | list }}
    {{ results | openclaw_failed_items | length }}
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError


def by_status(rows, status="failed"):
    """Rows whose session status is ``status`` (a string or a list of them)."""
    wanted = [status] if isinstance(status, str) else list(status)
    return [r for r in rows if r.get("status") in wanted]


def stopped(rows):
    """Rows of sessions a user stopped."""
    return [r for r in rows if r.get("status") == "killed" and r.get("abortedLastRun")]


def failed_items(results):
    """The items of a registered loop result whose task failed (Ansible's own flag)."""
    if not isinstance(results, dict) or "results" not in results:
        raise AnsibleFilterError("openclaw_failed_items expects a registered loop result")
    return [r.get("item") for r in results["results"] if r.get("failed")]


def timed_out_items(results):
    """Items whose openclaw_session_wait gave up waiting (reason=timeout)."""
    return [r.get("item") for r in results.get("results", []) if r.get("reason") == "timeout"]


class FilterModule(object):
    def filters(self):
        return {
            "openclaw_by_status": by_status,
            "openclaw_stopped": stopped,
            "openclaw_failed_items": failed_items,
            "openclaw_timed_out_items": timed_out_items,
        }
