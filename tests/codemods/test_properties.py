"""Properties of the codemod over generated programs.

Session-status programs are assembled from the forms the rules handle, with
random words, quoting and spacing; hypothesmith adds arbitrary valid Python.
Bounded (few examples, no deadline) so the suite stays fast.
"""

from __future__ import annotations

import ast
import warnings

import hypothesmith
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codemods.session_status import StatusRewriter, equivalent_except_literals
from migrator.manifest import load_manifest

MANIFEST = load_manifest()
VOCAB = MANIFEST.vocabulary
WORDS = sorted(VOCAB.all_values) + ["ok", "pending"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

_quote = st.sampled_from(['"', "'"])
_word = st.sampled_from(WORDS)


@st.composite
def _literal(draw: st.DrawFn) -> str:
    q = draw(_quote)
    return f"{q}{draw(_word)}{q}"


@st.composite
def _collection(draw: st.DrawFn) -> str:
    # Distinct words: contract folds a repeated name into one (same membership).
    items = draw(st.lists(_literal(), min_size=1, max_size=4, unique_by=lambda s: s[1:-1]))
    open_, close = draw(st.sampled_from([("(", ",)"), ("[", "]"), ("{", "}"), ("frozenset((", ",))")]))
    return open_ + draw(st.sampled_from([", ", ","])).join(items) + close


@st.composite
def session_program(draw: st.DrawFn) -> str:
    source = draw(st.sampled_from([
        'client.invoke("sessions_list", {})["sessions"]', 'gw.request("sessions.list")["sessions"]',
        'client.invoke("sessions_send", {})', "jobs()",
    ]))
    subject = draw(st.sampled_from(['row["status"]', "row.get('status')", 'row.status', '(row.get("status") or "").lower()']))
    lines = [f"CONST = {draw(_collection())}", f"TABLE = {{{draw(_literal())}: handle, {draw(_literal())}: other}}",
             f"for row in {source}:"]
    for _ in range(draw(st.integers(1, 4))):
        form = draw(st.sampled_from(["eq", "ne", "in", "const", "table", "match", "write"]))
        if form == "eq":
            lines.append(f"    if {subject} == {draw(_literal())}: pass")
        elif form == "ne":
            lines.append(f"    if {draw(_literal())} != {subject}: pass")
        elif form == "in":
            lines.append(f"    if {subject} {draw(st.sampled_from(['in', 'not in']))} {draw(_collection())}: pass")
        elif form == "const":
            lines.append(f"    if {subject} in CONST: pass")
        elif form == "table":
            lines.append(f"    TABLE.get({subject}, skip)(row)")
        elif form == "match":
            alts = " | ".join(draw(st.lists(_literal(), min_size=1, max_size=3, unique=True)))
            lines += [f"    match {subject}:", f"        case {alts}:", "            pass"]
        else:
            lines.append(f"    row['status'] = {draw(_literal())}")
    return "\n".join(lines) + "\n"


def _run(code: bytes, phase: str) -> bytes:
    return StatusRewriter(MANIFEST, phase).rewrite(code).code  # type: ignore[arg-type]


@SETTINGS
@given(session_program())
def test_phases_parse_are_safe_idempotent_and_compose(program: str) -> None:
    code = program.encode()
    expanded, contracted = _run(code, "expand"), _run(code, "contract")
    for phase, out in (("expand", expanded), ("contract", contracted)):
        ast.parse(out)
        assert equivalent_except_literals(code, out, VOCAB) is None, phase
        assert _run(out, phase) == out, f"{phase} is not idempotent"
    assert _run(expanded, "contract") == contracted


class _Shape(ast.NodeTransformer):
    """``x == c`` ~ ``c == x`` ~ ``x in (c,)``: contract puts the subject first and
    turns one-element tests into ``==``."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(node.left, ast.Constant):
            node.left, right = right, node.left  # the subject is put first
        if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(right, ast.Constant):
            return ast.Compare(node.left, [ast.In() if isinstance(op, ast.Eq) else ast.NotIn()], [ast.Tuple([right], ast.Load())])
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.List, ast.Set)):
            return ast.Compare(node.left, [op], [ast.Tuple(right.elts, ast.Load())])
        return node

    def visit_MatchOr(self, node: ast.MatchOr) -> ast.AST:
        # A repeated alternative (``"done" | 'done'``) is one alternative:
        # contract keeps a name once.
        self.generic_visit(node)
        unique: list[ast.pattern] = []
        for pattern in node.patterns:
            if ast.dump(pattern) not in [ast.dump(p) for p in unique]:
                unique.append(pattern)
        return unique[0] if len(unique) == 1 else ast.MatchOr(unique)


def test_manifest_round_trip_is_the_identity() -> None:
    for word in VOCAB.all_values:
        assert VOCAB.to_new(VOCAB.to_old(word)) == word or word in VOCAB.old
        assert VOCAB.to_old(VOCAB.to_new(word)) == word or word in VOCAB.new


@SETTINGS
@given(session_program())
def test_renaming_old_new_old_is_the_identity(program: str) -> None:
    # Contract renames old -> new; mapping every new literal back with the
    # manifest gives the original program (modulo == vs one-element in).
    assume(not any(new in program for new in VOCAB.new))
    contracted = _run(program.encode(), "contract").decode()
    back = contracted
    for old, new in VOCAB.old_to_new.items():
        back = back.replace(f'"{new}"', f'"{old}"').replace(f"'{new}'", f"'{old}'")
    assert ast.dump(_Shape().visit(ast.parse(back))) == ast.dump(_Shape().visit(ast.parse(program)))


@SETTINGS
@given(hypothesmith.from_grammar())
def test_arbitrary_programs_stay_parseable_and_untouched_without_old_names(source: str) -> None:
    code = source.encode()
    try:
        result = StatusRewriter(MANIFEST, "expand").rewrite(code)
    except (RecursionError, Exception):  # LibCST may reject what CPython accepts
        assume(False)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # generated code may be odd, not wrong
        ast.parse(result.code)
    if not any(word in source for word in VOCAB.old):
        assert result.code == code
