"""The text rules as specifications: each rule's own examples, sentences
that must and must not be findings, workspaces, and ``explain``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from migrator.config import Options, TextOptions, load_options
from migrator.engines.prose import ProseRules
from migrator.engines.prompts import RULES, TextEngine, analyse, workspaces
from migrator.files import SourcePath

TOOL = "Call `sessions_list` to see your workers.\n"


def _options(tmp_path: Path, phase: str = "expand", name_both: bool = False) -> Options:
    options = load_options([str(tmp_path)], phase=phase, cwd=tmp_path)
    return replace(options, text=TextOptions((), name_both))


def _run(text: str, options: Options) -> tuple[list, str]:
    out = analyse(text, "PROMPT.md", options, ProseRules(options.manifest, options.markers))
    return out.findings, out.updated


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_examples(rule, tmp_path: Path) -> None:
    for example in rule.invalid:
        findings, _ = _run(example.before, _options(tmp_path, "contract"))
        assert rule.name in {f.rule for f in findings}, f"{rule.name}: not found in {example.before!r}"
        if example.contract is not None:
            assert _run(example.before, _options(tmp_path, "contract"))[1] == example.contract
        if example.expand is not None:
            assert _run(example.before, _options(tmp_path, "expand", True))[1] == example.expand
    for example in rule.valid:
        for phase in ("expand", "contract"):
            findings, updated = _run(example.before, _options(tmp_path, phase, True))
            assert rule.name not in {f.rule for f in findings}, f"{rule.name}: {example.before!r}"
            if not findings:
                assert updated == example.before


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm done. When you are done, say so.\n",
        "The build failed; tell the team what failed.\n",
        "A timeout of 30 seconds applies. The process was killed by the runner.\n",
        'Post a status update with "done" when the build is green.\n',
        "Wait until the CI status is `done`.\n",
        "If the job status is \"failed\", retry the job.\n",
        "If `sessions_send` returns status `ok` or `timeout`, carry on.\n",
        "The process status is `completed`, `failed` or `killed`.\n",
        "Reply with exactly `done` when you have finished.\n",
        "When you are done, spawn a reviewer subagent.\n",
        "- `done`: your own checklist item, under no heading.\n",
        "```bash\necho done\n```\n",
    ],
)
def test_innocent_prose_is_not_a_finding(sentence: str, tmp_path: Path) -> None:
    findings, updated = _run(TOOL + sentence, _options(tmp_path, "contract", True))
    assert findings == []
    assert updated == TOOL + sentence


@pytest.mark.parametrize(
    ("sentence", "rule", "column"),
    [
        ("A session whose status is `failed` can be resumed.\n", "prompt-status", 28),
        ("If `status: killed`, leave it.\n", "prompt-status", 13),
        ('Treat `row["status"] == "done"` as finished.\n', "prompt-status", 26),
        ("Statuses: running | done | failed | timeout.\n", "prompt-status", 21),
        ("If the status is `failed`, spawn a new worker.\n", "prompt-respawn", 19),
        ("On timeout, start a new session with the same brief.\n", "prompt-respawn", 4),
    ],
)
def test_status_contexts_are_found_where_they_are(sentence: str, rule: str, column: int, tmp_path: Path) -> None:
    findings, _ = _run(TOOL + sentence, _options(tmp_path))
    hits = [(f.line, f.column) for f in findings if f.rule == rule]
    assert hits[0] == (2, column)


def test_negated_spawn_is_the_right_advice_already(tmp_path: Path) -> None:
    text = TOOL + "If the status is `failed`, do not spawn a new session; use `sessions_send`.\n"
    findings, _ = _run(text, _options(tmp_path))
    assert [f.rule for f in findings] == ["prompt-status"]


def test_suppression_and_unused_suppression(tmp_path: Path) -> None:
    text = TOOL + "A session status of `done` <!-- migrator: ignore -->\n\n<!-- migrator: ignore -->\nNothing here.\n"
    options = _options(tmp_path)
    out = analyse(text, "P.md", options, ProseRules(options.manifest))
    assert out.findings == []
    assert out.notes == ["P.md:4: unused suppression `<!-- migrator: ignore -->`"]
    ignored = "<!-- migrator: ignore-file -->\n" + TOOL + "A session status of `done`.\n"
    assert _run(ignored, options)[0] == []


def test_indented_python_block_maps_to_the_prompt(tmp_path: Path) -> None:
    text = TOOL + "1. Poll:\n\n   ```python\n   if row[\"status\"] == 'failed':\n       pass\n   ```\n"
    findings, updated = _run(text, _options(tmp_path, "contract"))
    assert [(f.line, f.column, f.rule, f.action) for f in findings] == [(5, 24, "status-compare", "rewrite")]
    assert updated == text.replace("'failed'", "'interrupted'")


def test_unparsable_python_block_is_a_note(tmp_path: Path) -> None:
    options = _options(tmp_path, "contract")
    text = TOOL + "```python\nif row['status'] == 'done' ...\n```\n"
    out = analyse(text, "P.md", options, ProseRules(options.manifest))
    assert out.updated == text
    assert out.notes == ["P.md:2: ```python block does not parse; its values are left for review"]


def test_contract_after_expand_is_contract(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2] / "fixtures" / "prompts"
    for path in sorted(root.rglob("*.md")):
        text = path.read_text("utf-8")
        expanded = _run(text, _options(tmp_path, "expand", True))[1]
        contracted = _run(text, _options(tmp_path, "contract"))[1]
        assert _run(expanded, _options(tmp_path, "contract"))[1] == contracted, path.name
        assert _run(expanded, _options(tmp_path, "expand", True))[1] == expanded, path.name


def test_workspace_from_openclaw_json(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "crew-ws" / "memory").mkdir(parents=True)
    (state / "openclaw.json").write_text("{agents: {defaults: {workspace: 'crew-ws'},},}\n")
    assert workspaces(state / "openclaw.json")[0] == state / "crew-ws"
    engine = TextEngine()
    options = _options(tmp_path)
    for rel, claimed in [("crew-ws/USER.md", True), ("crew-ws/memory/day.md", True),
                         ("crew-ws/project/notes.md", False), ("other/USER.md", False)]:
        path = state / rel
        source = SourcePath(path, rel, state, rel, False)
        assert engine.claims(source, options) is claimed, rel


def test_explain_prints_what_why_and_examples() -> None:
    for rule in RULES:
        text = rule.explain()
        assert text.startswith(f"{rule.name}: ")
        assert "Why: " in text and "Fix safety: " in text
    assert {r.name for r in RULES} == {"prompt-status", "prompt-respawn", "prompt-json"}
