"""JSON pointer patterns (RFC 6901 with a ``*`` wildcard per segment) and the
RFC 6902 patches compiled from them.

One implementation serves every surface that locates a status inside a JSON
document: stored records (``/*/status`` in ``sessions.json``), user data rules,
and gateway frames (``/sessions/*/status``). A pattern names exactly the values
it matches: ``/status`` is the top-level key only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

WILDCARD = "*"


def escape(token: str) -> str:
    """Escape one reference token (RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(tokens: Sequence[str | int]) -> str:
    """Build a pointer from raw (unescaped) tokens."""
    return "".join("/" + escape(str(t)) for t in tokens)


def split(pointer: str) -> list[str]:
    """Split a pointer into raw tokens. ``""`` is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


@dataclass(frozen=True)
class PointerPattern:
    """A pointer whose segments may be ``*`` (any one key or index).

    A literal ``*`` key is written ``~2``, an escape this module adds for
    patterns only.
    """

    text: str
    segments: tuple[str | None, ...]  # None is the wildcard

    @classmethod
    def parse(cls, text: str) -> "PointerPattern":
        if text == "":
            return cls(text, ())
        if not text.startswith("/"):
            raise ValueError(f"a pointer pattern starts with '/': {text!r}")
        segments: list[str | None] = []
        for raw in text[1:].split("/"):
            if raw == WILDCARD:
                segments.append(None)
            else:
                segments.append(unescape(raw.replace("~2", "*")))
        return cls(text, tuple(segments))

    def matches(self, doc: Any) -> Iterator[tuple[list[str | int], Any]]:
        """Yield ``(tokens, value)`` for every location the pattern names."""
        yield from _walk(doc, self.segments, [])


def _walk(node: Any, segments: Sequence[str | None], path: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    if not segments:
        yield path, node
        return
    head, rest = segments[0], segments[1:]
    if isinstance(node, dict) or isinstance(node, Mapping):  # dict first: typing's check is slow
        if head is None:
            for key, child in node.items():
                yield from _walk(child, rest, path + [key])
        elif head in node:
            yield from _walk(node[head], rest, path + [head])
    elif isinstance(node, list):
        if head is None:
            for i, child in enumerate(node):
                yield from _walk(child, rest, path + [i])
        elif head.isdigit() and int(head) < len(node):
            yield from _walk(node[int(head)], rest, path + [int(head)])


def _parent(doc: Any, tokens: Sequence[str | int]) -> Any:
    node = doc
    for token in tokens[:-1]:
        node = node[token]
    return node


def compile_patch(
    doc: Any,
    patterns: Sequence[PointerPattern],
    mapping: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The RFC 6902 patch that renames, at every location the patterns name,
    each string value found in ``mapping``. Every ``replace`` is preceded by a
    ``test`` of the old value, so the patch refuses a document that changed.
    """
    ops: list[dict[str, Any]] = []
    seen: set[str] = set()
    # YAML anchors and aliases share one node: the value is renamed once,
    # where it is defined (the first pointer that reaches it).
    shared: set[tuple[int, str | int]] = set()
    for pattern in patterns:
        for tokens, value in pattern.matches(doc):
            if isinstance(value, str) and value in mapping:
                pointer = join(tokens)
                if pointer in seen:
                    continue
                seen.add(pointer)
                slot = (id(_parent(doc, tokens)), tokens[-1]) if tokens else (id(doc), "")
                if slot in shared:
                    continue
                shared.add(slot)
                ops.append({"op": "test", "path": pointer, "value": value})
                ops.append({"op": "replace", "path": pointer, "value": mapping[value]})
    return ops


class Rewriter:
    """Patterns compiled for rewriting in-memory documents in place: the fast
    path for frames, where no patch is kept.

    The patterns are merged into one tree of keys, so a document is walked
    once whatever the number of patterns (``/status`` and ``/session/status``
    share the look at the top), and no tokens are built. A value is renamed
    where ``mapping`` has it; anything else stays.
    """

    def __init__(self, patterns: Sequence[PointerPattern]) -> None:
        self.patterns = tuple(patterns)
        root = _Trie()
        for pattern in self.patterns:
            node = root
            for segment in pattern.segments:
                node = node.child(segment)
            node.leaf = bool(pattern.segments)  # the whole document is no string to rename
        self._visit = root.compiled()

    def __call__(self, doc: Any, mapping: Mapping[str, str]) -> int:
        """Rename the matched string values of ``doc`` in place; return how many changed."""
        return self._visit(doc, mapping) if self._visit is not None else 0


_ABSENT = object()


def _item(node: Any, key: Any) -> Any:
    """``node[key]``, or :data:`_ABSENT` where a mapping has no such key."""
    if isinstance(node, list):
        return node[key]
    return node[key] if key in node else _ABSENT


class _Trie:
    __slots__ = ("keys", "wildcard", "leaf")

    def __init__(self) -> None:
        self.keys: dict[str, _Trie] = {}
        self.wildcard: _Trie | None = None
        self.leaf = False

    def child(self, segment: str | None) -> "_Trie":
        if segment is None:
            if self.wildcard is None:
                self.wildcard = _Trie()
            return self.wildcard
        return self.keys.setdefault(segment, _Trie())

    def compiled(self) -> Callable[[Any, Mapping[str, str]], int] | None:
        """The function that renames below a container at this node (None
        when nothing lies below): each step is (key, rename it here, walk on)."""
        steps = tuple((key, node.leaf, node.compiled()) for key, node in self.keys.items())
        indexed = tuple((int(key), leaf, deeper) for key, leaf, deeper in steps if key.isdigit())
        wild = (self.wildcard.leaf, self.wildcard.compiled()) if self.wildcard is not None else None
        if not steps and wild is None:
            return None

        def visit(node: Any, mapping: Mapping[str, str]) -> int:
            # dict and list first: the ABC check of Mapping is slow on every node
            if isinstance(node, dict) or (not isinstance(node, list) and isinstance(node, Mapping)):
                at: Iterable[tuple[Any, bool, Any]] = steps
                if wild is not None:
                    at = (*steps, *((key, *wild) for key in node))
            elif isinstance(node, list):
                at = [s for s in indexed if s[0] < len(node)]
                if wild is not None:
                    at = [*at, *((index, *wild) for index in range(len(node)))]
            else:
                return 0
            changed = 0
            for key, leaf, deeper in at:
                value = node.get(key, _ABSENT) if node.__class__ is dict else _item(node, key)
                if value is _ABSENT:
                    continue
                if leaf and isinstance(value, str):
                    new = mapping.get(value)
                    if new is not None and new != value:
                        node[key] = new
                        changed += 1
                elif deeper is not None:
                    changed += deeper(value, mapping)
            return changed

        return visit
