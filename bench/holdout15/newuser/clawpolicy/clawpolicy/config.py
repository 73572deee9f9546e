"""Load policy.yaml and merge it over the built-in policy."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .defaults import ACTION_RESULTS, DEFAULT_POLICY, KNOWN_STATUSES

ACTIONS = {"nudge", "ignore", "report", "page"}


class PolicyError(ValueError):
    pass


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load(path: str | Path = "policy.yaml") -> dict:
    p = Path(path)
    user = yaml.safe_load(p.read_text()) if p.exists() else {}
    policy = _merge(DEFAULT_POLICY, user or {})
    validate(policy)
    return policy


def validate(policy: dict) -> None:
    for name, rule in policy["rules"].items():
        if name not in KNOWN_STATUSES:
            raise PolicyError(f"rules.{name}: not a session status ({sorted(KNOWN_STATUSES)})")
        if rule.get("action") not in ACTIONS:
            raise PolicyError(f"rules.{name}.action: one of {sorted(ACTIONS)}")
    for status in policy["match_statuses"]:
        if status not in KNOWN_STATUSES:
            raise PolicyError(f"match_statuses: {status!r} is not a session status")
    for name in policy.get("on_result", {}):
        if name not in ACTION_RESULTS:
            raise PolicyError(f"on_result.{name}: one of {sorted(ACTION_RESULTS)}")
