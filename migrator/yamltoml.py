"""YAML and TOML documents edited without losing comments or layout.

YAML: ruamel.yaml's round-trip loader gives each value's line and column;
the scalar there is replaced in the text, in its own quoting style. TOML:
tomlkit keeps every byte it does not touch; the new string keeps the old
one's quoting (basic or literal). Either way the result is parsed again and
must equal the document with the RFC 6902 patch applied.
"""

from __future__ import annotations

import io
import re
import tomllib
from typing import Any, Callable, Mapping, Sequence

import jsonpatch

from migrator.jsonedit import Edit, JsonSyntaxError
from migrator.pointers import PointerPattern, compile_patch, join, split


class SharedValue(JsonSyntaxError):
    """A valid document whose value cannot be edited in place (a YAML anchor
    or alias): not a parse error, and the message says what it is."""


def _parent(doc: Any, tokens: list[str]) -> tuple[Any, Any]:
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last: Any = int(tokens[-1]) if isinstance(node, list) else tokens[-1]
    return node, last


def _places(doc: Any) -> dict[tuple[int, Any], list[str]]:
    """Every pointer at which each (container, key) of a YAML document is
    read: through aliases one node stands at several places."""
    out: dict[tuple[int, Any], list[str]] = {}

    def walk(node: Any, tokens: list[str | int], path: tuple[int, ...]) -> None:
        if id(node) in path:  # a recursive alias
            return
        items = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else ()
        for key, value in items:
            out.setdefault((id(node), key), []).append(join([*tokens, key]))
            walk(value, [*tokens, key], (*path, id(node)))

    walk(doc, [], ())
    return out


def _olds(ops: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {op["path"]: op["value"] for op in ops if op["op"] == "test"}


def _expect(plain: Any, ops: list[dict[str, Any]]) -> Any:
    try:
        return jsonpatch.apply_patch(plain, ops, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise JsonSyntaxError(f"patch does not apply: {exc}") from None


# A predicate on a 1-based line: True leaves the values of that line alone
# (a suppression comment, see migrator.suppressions).
Skip = Callable[[int], bool]


def _without(ops: list[dict[str, Any]], paths: set[str]) -> list[dict[str, Any]]:
    """The patch without the test/replace pairs of ``paths``."""
    return [op for op in ops if op["path"] not in paths]


def migrate_yaml(
    text: str, patterns: Sequence[PointerPattern], mapping: Mapping[str, str], skip: Skip | None = None
) -> tuple[str, list[Edit], list[dict[str, Any]]]:
    """Rename the values ``patterns`` name in a YAML document, keeping
    comments and layout: the new text, the edits and the patch."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="rt").load(text)
        plain = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise JsonSyntaxError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    ops = compile_patch(doc, patterns, mapping)
    if not ops:
        return text, [], ops
    olds = _olds(ops)
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    located = []
    skipped: set[str] = set()
    # Only a document with an alias can read one value at several places.
    places = _places(doc) if "*" in text else None
    named = {join(tokens) for pattern in patterns for tokens, _ in pattern.matches(doc)} if places else set()
    for op in ops:
        if op["op"] != "replace":
            continue
        parent, key = _parent(doc, split(op["path"]))
        unnamed = [p for p in (places or {}).get((id(parent), key), []) if p not in named]
        if unnamed:
            raise SharedValue(f"the value at {op['path']} is also read at {unnamed[0]} through a YAML alias, "
                              "which no pointer names: a value shared through YAML anchors and aliases is not "
                              "edited in place; change it by hand")
        try:
            line, column = parent.lc.item(key) if isinstance(parent, list) else parent.lc.value(key)  # type: ignore[attr-defined]
        except KeyError:
            # A key a `<<` merge brings in has no position of its own: its
            # value stands in another mapping, maybe read by others too.
            raise SharedValue(f"the value at {op['path']} (line {parent.lc.line + 1}) comes from a YAML merge "
                              "key (`<<`): a value shared through YAML anchors and aliases is not edited in "
                              "place; change it by hand") from None
        if skip is not None and skip(line + 1):
            skipped.add(op["path"])
            continue
        offset = starts[line] + column
        old = olds[op["path"]]
        token = re.compile(
            r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"|" + re.escape(old) + r"(?=[ \t]*(?:#|$|,|\]|\}))", re.M
        ).match(text, offset)
        if token is None:
            raise _unlocated(text, offset, op["path"], line + 1)
        quote = token.group(0)[0]
        new = op["value"]
        replacement = f"{quote}{new}{quote}" if quote in "'\"" else new
        located.append((token.start(), token.end(), replacement, Edit(op["path"], line + 1, column + 1, old, new)))
    ops = _without(ops, skipped)
    located.sort(key=lambda item: item[0])
    pieces, last = [], 0
    for start, end, replacement, _ in located:
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    new_text = "".join(pieces)
    if YAML(typ="safe", pure=True).load(new_text) != _expect(plain, ops):
        raise JsonSyntaxError("the edited YAML does not parse to the patched document; left unchanged")
    return new_text, [item[3] for item in located], ops


_ANCHOR = re.compile(r"([&*])([^\s,\[\]{}]+)")


def _unlocated(text: str, offset: int, pointer: str, line: int) -> JsonSyntaxError:
    """Why a value cannot be edited in place: most often a YAML anchor or
    alias, where one value stands at several places of the document."""
    mark = _ANCHOR.match(text, offset)
    if mark is not None:
        what = "an alias" if mark.group(1) == "*" else "an anchor"
        return SharedValue(f"the value at {pointer} (line {line}) is {what} (`{mark.group(0)}`): a value shared "
                           "through YAML anchors and aliases is not edited in place; change it by hand")
    return JsonSyntaxError(f"cannot locate the value at {pointer} (line {line})")


def migrate_toml(
    text: str, patterns: Sequence[PointerPattern], mapping: Mapping[str, str], skip: Skip | None = None
) -> tuple[str, list[Edit], list[dict[str, Any]]]:
    """Rename the values ``patterns`` name in a TOML document, keeping
    comments and layout: the new text, the edits and the patch."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        plain = tomllib.loads(text)
        doc = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as exc:
        raise JsonSyntaxError(f"invalid TOML: {exc}") from None
    ops = compile_patch(plain, patterns, mapping)
    if not ops:
        return text, [], ops
    olds = _olds(ops)
    edits = []
    cursor = 0
    skipped: set[str] = set()
    for op in ops:
        if op["op"] != "replace":
            continue
        old = olds[op["path"]]
        # tomlkit keeps no positions: point at the next occurrence of the literal.
        found = re.compile(r"(['\"])" + re.escape(old) + r"\1").search(text, cursor)
        offset = found.start() if found else 0
        cursor = found.end() if found else cursor
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        if skip is not None and skip(line):
            skipped.add(op["path"])
            continue
        parent, key = _parent(doc, split(op["path"]))
        item = parent[key]
        literal = getattr(getattr(item, "type", None), "is_literal", lambda: False)()
        parent[key] = tomlkit.string(op["value"], literal=literal)
        edits.append(Edit(op["path"], line, column, old, op["value"]))
    ops = _without(ops, skipped)
    new_text = tomlkit.dumps(doc)
    if tomllib.load(io.BytesIO(new_text.encode())) != _expect(plain, ops):
        raise JsonSyntaxError("the edited TOML does not parse to the patched document; left unchanged")
    return new_text, edits, ops
