"""The rules of the text engine, each explaining itself (like
``codemods/forms/``): what, why, fix safety, and examples of prompts that
are rewritten (with their expand and contract results) or left alone.

``tests/engines/test_prompt_rules.py`` runs every example through the engine.
"""

from __future__ import annotations

from migrator.rules import Example, Rule
from migrator.engines.prose import RULE_JSON, RULE_RESPAWN, RULE_STATUS

# -- the rules, explained --------------------------------------------------
_SESSIONS = "Call `sessions_list` to see your workers.\n"

RULES: tuple[Rule, ...] = (
    Rule(
        name=RULE_STATUS,
        summary="An old session-status value in a prompt or skill, in a status context.",
        why="Agents read prompts literally: a prompt that says a worker is finished when its "
        "status is `done` waits forever once the gateway reports `agent_responded`. Only values "
        "in a status context count (quoted or back-ticked near the word status, `status: failed`, "
        "`status == \"done\"`, a list of session values, values listed under a heading about "
        "statuses); prose such as \"when you are done\" is never a finding.",
        safety="Review by default. The contract phase rewrites quoted and back-ticked values (and "
        "values in inline code such as `status: failed`) and nothing else of the line; the expand "
        "phase names both (`failed` / `interrupted`) only with `name-both = true` in "
        "[tool.migrator.text]. Bare words are never rewritten.",
        invalid=(
            Example(
                _SESSIONS + "A worker whose session status is `done` has answered.\n",
                _SESSIONS + "A worker whose session status is `done` / `agent_responded` has answered.\n",
                _SESSIONS + "A worker whose session status is `agent_responded` has answered.\n",
            ),
            Example(
                _SESSIONS + "Session statuses: `running`, `done`, `failed`, `killed`, `timeout`.\n",
                None,
                _SESSIONS + "Session statuses: `running`, `agent_responded`, `interrupted`, `halted`, "
                "`waiting_for_response`.\n",
            ),
        ),
        valid=(
            Example("When you are done, summarise what failed and why.\n"),
            Example("If `sessions_send` returns status `ok` or `timeout`, carry on.\n"),
            Example("Post a status update with \"done\" when the build is green.\n"),
        ),
    ),
    Rule(
        name=RULE_RESPAWN,
        summary="An instruction that spawns a new session because of a status.",
        why="A session's status describes only its last turn: a session whose last turn "
        "`failed`, hit a `timeout` or was `killed` still accepts `sessions_send`, which resumes "
        "it with its history. Prompts that spawn a replacement lose that history and leave the "
        "old session behind (OpenClaw issue #64103, option D). The finding suggests a sentence "
        "to add to the prompt.",
        safety="Never rewritten: the advice is for the prompt's author to word.",
        invalid=(
            Example(_SESSIONS + "If a worker's status is `failed`, spawn a new worker.\n"),
            Example("On timeout, start a new session with the same task.\n"),
        ),
        valid=(
            Example("If a worker's status is `failed`, resume it with `sessions_send`; "
                    "do not spawn a new session.\n"),
            Example("When you are done, spawn a reviewer subagent.\n"),
        ),
    ),
    Rule(
        name=RULE_JSON,
        summary="An old value under a `status` key in a ```json example of a prompt.",
        why="Examples of `sessions_list` results teach agents the values to expect.",
        safety="Only the values the manifest's session surfaces name (a row's `status`, the "
        "`sessions` of a list or tool result) are touched, by the same format-preserving editor as "
        "stored data. Review by default; rewritten in the contract phase. A block quoting another "
        "vocabulary (a `sessions_send` reply) is left alone.",
        invalid=(
            Example(
                _SESSIONS + "```json\n{\"sessions\": [{\"key\": \"agent:main:main\", \"status\": \"done\"}]}\n```\n",
                None,
                _SESSIONS + "```json\n{\"sessions\": [{\"key\": \"agent:main:main\", \"status\": \"agent_responded\"}]}\n```\n",
            ),
        ),
        valid=(Example("```json\n{\"status\": \"ok\", \"reply\": \"timeout\"}\n```\n"),),
    ),
)
