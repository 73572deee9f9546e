from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher
from typing import Callable, Dict, Iterable, List, Sequence, Set

from .models import Finding, JobContext


Rule = Callable[[Sequence[JobContext]], List[Finding]]

MESSAGE_TOOL_PATTERNS = [
    re.compile(r"\buse\s+the\s+message\s+tool\b", re.I),
    re.compile(r"\bcall\s+the\s+message\s+tool\b", re.I),
    re.compile(r"\bsend\s+(?:a\s+)?message\s+(?:with|using|via)\s+the\s+message\s+tool\b", re.I),
]
NO_MESSAGE_TOOL_PATTERNS = [
    re.compile(r"\bdo\s+not\s+use\s+the\s+message\s+tool\b", re.I),
    re.compile(r"\bdon't\s+use\s+the\s+message\s+tool\b", re.I),
    re.compile(r"\bnever\s+use\s+the\s+message\s+tool\b", re.I),
]
VISIBLE_MESSAGING_PATTERNS = [
    re.compile(r"\b(?:send|post|deliver|reply|respond)\b.{0,40}\b(?:user|channel|dm|message|notification|reply)\b", re.I),
    re.compile(r"\buser-visible\b", re.I),
    re.compile(r"\bannounce\b", re.I),
]
STATEFUL_PATTERNS = [
    re.compile(r"\b(?:remember|previous|last run|state|fact|facts|since last|dedupe|delta|changed|already sent)\b", re.I),
]
PERIODIC_FIELDS = ("cron", "schedule", "interval", "every", "rrule")
EXPENSIVE_PATTERNS = [
    re.compile(r"\b(?:research|browse|web|scrape|crawl|analy[sz]e|summari[sz]e|investigate|report)\b", re.I),
]
RETURN_CONTENT_PATTERNS = [
    re.compile(r"\b(?:return|provide|include|summari[sz]e|report|send|deliver|announce|reply)\b", re.I),
]


def lint_jobs(
    jobs: Sequence[JobContext],
    ignored_rules: Iterable[str] = (),
    selected_rules: Iterable[str] = (),
) -> List[Finding]:
    ignored = {rule.upper() for rule in ignored_rules}
    selected = {rule.upper() for rule in selected_rules}
    findings: List[Finding] = []
    for rule_id, rule in RULES.items():
        if rule_id in ignored:
            continue
        if selected and rule_id not in selected:
            continue
        findings.extend(rule(jobs))
    return sorted(findings, key=lambda item: (item.job_name.lower(), item.severity, item.rule_id))


def finding(job: JobContext, severity: str, rule_id: str, explanation: str, recommendation: str) -> Finding:
    return Finding(
        job_name=job.job_name,
        job_id=job.job_id,
        severity=severity,
        rule_id=rule_id,
        explanation=explanation,
        recommendation=recommendation,
    )


def has_any(patterns: Sequence[re.Pattern[str]], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def rule_isolated_message_tool(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        if job.session_target == "isolated" and has_any(MESSAGE_TOOL_PATTERNS, job.prompt):
            results.append(
                finding(
                    job,
                    "error",
                    "OC001",
                    "Isolated cron runs cannot rely on direct message-tool side effects.",
                    "Use an announce delivery target, return structured content for the scheduler to deliver, or change the session target if direct session messaging is intentional.",
                )
            )
    return results


def rule_payload_session_mismatch(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    incompatible = {
        "isolated": {"message-tool", "message_tool", "session-message", "session_message", "current-session", "current_session"},
        "current": {"isolated-result", "isolated_result"},
        "main": {"isolated-result", "isolated_result"},
    }
    for job in jobs:
        target = job.session_target
        kind = job.payload_kind
        if target and kind and kind in incompatible.get(target, set()):
            results.append(
                finding(
                    job,
                    "error",
                    "OC002",
                    f"Payload kind '{kind}' is incompatible with sessionTarget '{target}'.",
                    "Choose a payload kind that matches where the run executes, or change sessionTarget to match the payload semantics.",
                )
            )
        if target == "isolated" and kind in {"message", "chat", "reply"}:
            results.append(
                finding(
                    job,
                    "warning",
                    "OC002",
                    f"Payload kind '{kind}' looks session-bound while the job runs isolated.",
                    "Use an explicit announce/result payload for isolated runs so delivery does not depend on a live session.",
                )
            )
    return results


def rule_announce_target(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        mode = job.delivery_mode
        if mode == "announce":
            missing = [key for key in ("channel", "to") if not job.delivery.get(key)]
            if missing:
                results.append(
                    finding(
                        job,
                        "error",
                        "OC003",
                        f"Announce delivery is missing required target field(s): {', '.join(missing)}.",
                        "Set delivery.channel and delivery.to to the intended destination.",
                    )
                )
    return results


def rule_none_delivery_with_visible_prompt(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        if job.delivery_mode == "none" and has_any(VISIBLE_MESSAGING_PATTERNS, job.prompt):
            results.append(
                finding(
                    job,
                    "warning",
                    "OC004",
                    "delivery.mode is 'none' but the prompt implies user-visible messaging.",
                    "Remove user-visible messaging instructions or configure a delivery mode and target.",
                )
            )
    return results


def rule_prompt_contradiction(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        if has_any(MESSAGE_TOOL_PATTERNS, job.prompt) and has_any(NO_MESSAGE_TOOL_PATTERNS, job.prompt):
            results.append(
                finding(
                    job,
                    "error",
                    "OC005",
                    "Prompt both tells the agent to use the message tool and not to use it.",
                    "Keep one delivery instruction path and remove the contradictory wording.",
                )
            )
    return results


def rule_missing_fact_key(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        has_periodic_field = any(job.raw.get(field) for field in PERIODIC_FIELDS)
        looks_stateful = has_any(STATEFUL_PATTERNS, job.prompt)
        if not job.fact_key and (looks_stateful or (has_periodic_field and _mentions_change_tracking(job.prompt))):
            results.append(
                finding(
                    job,
                    "warning",
                    "OC006",
                    "Job appears to depend on prior runs but does not define factKey.",
                    "Add a stable factKey for persisted run state, or remove stateful prompt language.",
                )
            )
    return results


def rule_no_reply_guidance(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    for job in jobs:
        prompt = job.prompt
        if "NO_REPLY" in prompt and has_any(RETURN_CONTENT_PATTERNS, prompt):
            results.append(
                finding(
                    job,
                    "warning",
                    "OC007",
                    "Prompt mentions NO_REPLY while also asking for content to be returned or delivered.",
                    "Use NO_REPLY only for true silence, or clarify that content should be returned to the scheduler rather than posted by the agent.",
                )
            )
    return results


def rule_missing_timeout(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    timeout_fields = ("timeout", "timeoutSeconds", "timeout_seconds", "maxRuntimeSeconds", "max_runtime_seconds")
    for job in jobs:
        has_timeout = any(job.raw.get(field) for field in timeout_fields)
        agent = job.raw.get("agent")
        if isinstance(agent, dict):
            has_timeout = has_timeout or any(agent.get(field) for field in timeout_fields)
        looks_expensive = _looks_expensive_agent_job(job)
        if looks_expensive and not has_timeout:
            results.append(
                finding(
                    job,
                    "warning",
                    "OC008",
                    "Job looks like an expensive agent run but has no timeout.",
                    "Set timeoutSeconds or maxRuntimeSeconds so stuck or broad agent work cannot run indefinitely.",
                )
            )
    return results


def rule_duplicate_prompts(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    normalized_to_jobs: Dict[str, List[JobContext]] = defaultdict(list)
    comparable = []
    for job in jobs:
        normalized = normalize_prompt(job.prompt)
        if len(normalized) < 40:
            continue
        normalized_to_jobs[normalized].append(job)
        comparable.append((job, normalized))

    seen: Set[str] = set()
    for normalized, duplicates in normalized_to_jobs.items():
        if len(duplicates) > 1:
            for job in duplicates:
                if job.job_id not in seen:
                    results.append(
                        finding(
                            job,
                            "info",
                            "OC009",
                            "Prompt is duplicated across multiple cron jobs.",
                            "Confirm these jobs are intentionally identical, or split shared text from job-specific instructions.",
                        )
                    )
                    seen.add(job.job_id)

    for index, (left_job, left_prompt) in enumerate(comparable):
        for right_job, right_prompt in comparable[index + 1 :]:
            if left_prompt == right_prompt:
                continue
            ratio = SequenceMatcher(None, left_prompt, right_prompt).ratio()
            if ratio >= 0.92:
                pair_key = "|".join(sorted([left_job.job_id, right_job.job_id]))
                if pair_key in seen:
                    continue
                results.append(
                    finding(
                        left_job,
                        "info",
                        "OC009",
                        f"Prompt is very similar to job '{right_job.job_name}' ({ratio:.0%} match).",
                        "Confirm the overlap is intentional and that each job has distinct delivery, state, and scheduling instructions.",
                    )
                )
                seen.add(pair_key)
    return results


def rule_session_assumptions(jobs: Sequence[JobContext]) -> List[Finding]:
    results = []
    current_session_pattern = re.compile(r"\b(?:current|main)\s+session\b", re.I)
    for job in jobs:
        if job.session_target == "isolated" and current_session_pattern.search(job.prompt):
            results.append(
                finding(
                    job,
                    "warning",
                    "OC010",
                    "Isolated job prompt assumes a current or main session.",
                    "Replace current-session assumptions with explicit delivery configuration or switch to the intended session target.",
                )
            )
    return results


def normalize_prompt(prompt: str) -> str:
    return re.sub(r"\s+", " ", prompt.strip().lower())


def _mentions_change_tracking(prompt: str) -> bool:
    return bool(re.search(r"\b(?:new|changed|delta|since last|previous|already sent)\b", prompt, re.I))


def _looks_expensive_agent_job(job: JobContext) -> bool:
    agent = job.raw.get("agent")
    has_agent = bool(agent) or str(job.raw.get("type", "")).lower() == "agent"
    return has_agent and has_any(EXPENSIVE_PATTERNS, job.prompt)


RULES: Dict[str, Rule] = {
    "OC001": rule_isolated_message_tool,
    "OC002": rule_payload_session_mismatch,
    "OC003": rule_announce_target,
    "OC004": rule_none_delivery_with_visible_prompt,
    "OC005": rule_prompt_contradiction,
    "OC006": rule_missing_fact_key,
    "OC007": rule_no_reply_guidance,
    "OC008": rule_missing_timeout,
    "OC009": rule_duplicate_prompts,
    "OC010": rule_session_assumptions,
}

