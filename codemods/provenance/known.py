"""What the project tells one module (its exports, keyed by dotted name),
and what that module's analysis asked of it (``ExportsView``).

The exports are learnt in rounds: each round analyses the modules with what
the round before found. A module's analysis reads the exports only through
questions (a key, a dotted tail, whether there is any, the keys a predicate
selects), so when every question has the same answer in the next round the
analysis would find the same again, and is not run again."""

from __future__ import annotations

from typing import Callable, Iterator, Mapping, cast

Predicate = Callable[[str, str], bool]
# A question: ("get", key), ("tail", name), ("any",), ("len",), ("all",) or
# ("select", predicate).
Question = tuple[object, ...]


class ExportsView(Mapping[str, str]):
    """A read-only view of the exports that keeps each question asked of it
    with its answer. Iterating (``items()``, ``for k in``) asks for all of
    it; the narrower questions (:func:`tree_get`, :func:`select`) keep a
    module's answers valid while the rest of the exports grows."""

    __slots__ = ("_map", "_asked")

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._map = mapping
        self._asked: dict[Question, object] = {}

    def _ask(self, question: Question) -> object:
        if question in self._asked:
            return self._asked[question]
        answer = _answer(self._map, question)
        self._asked[question] = answer
        return answer

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        found = self._ask(("get", key))
        return default if found is None else str(found)

    def __getitem__(self, key: str) -> str:
        found = self._ask(("get", key))
        if found is None:
            raise KeyError(key)
        return str(found)

    def __contains__(self, key: object) -> bool:
        return self._ask(("get", key)) is not None

    def __bool__(self) -> bool:
        return bool(self._ask(("any",)))

    def __len__(self) -> int:
        return cast(int, self._ask(("len",)))

    def __iter__(self) -> Iterator[str]:
        self._ask(("all",))
        return iter(self._map)

    def tail(self, full: str) -> str | None:
        found = self._ask(("tail", full))
        return None if found is None else str(found)

    def select(self, predicate: Predicate) -> dict[str, str]:
        return dict(cast("tuple[tuple[str, str], ...]", self._ask(("select", predicate))))

    def answers_alike(self, other: Mapping[str, str]) -> bool:
        """Whether ``other`` answers every question asked so far as this one did."""
        return all(_answer(other, question) == answer for question, answer in self._asked.items())


def _answer(known: Mapping[str, str], question: Question) -> object:
    kind = question[0]
    if kind == "get":
        return known.get(cast(str, question[1]))
    if kind == "tail":
        return _tree_get(known, cast(str, question[1]))
    if kind == "any":
        return bool(known)
    if kind == "len":
        return len(known)
    # The entries in their order, which a caller may depend on (the first
    # key per table): two maps with the same entries in another order answer
    # differently.
    if kind == "select":
        predicate = cast(Predicate, question[1])
        return tuple((k, w) for k, w in known.items() if predicate(k, w))
    return tuple(known.items())  # "all"


def select(known: Mapping[str, str], predicate: Predicate) -> dict[str, str]:
    """The entries of ``known`` that ``predicate(key, why)`` keeps."""
    if isinstance(known, ExportsView):
        return known.select(predicate)
    return {k: w for k, w in known.items() if predicate(k, w)}


def tree_get(known: Mapping[str, str], full: str) -> str | None:
    """What ``known`` (keyed by the project's dotted names) says of ``full``:
    a tree scanned from above its import root names `src.app.x` what an
    import calls `app.x`, so a dotted tail matches too (the first such key)."""
    if isinstance(known, ExportsView):
        return known.tail(full)
    return _tree_get(known, full)


def _tree_get(known: Mapping[str, str], full: str) -> str | None:
    found = known.get(full)
    if found is not None or not known:
        return found
    order, tails = _tails(known)
    # Keys that end in `.full`, and keys that `full` ends in after a dot.
    matches = [tails[full]] if full in tails else []
    at = full.find(".")
    while at != -1:
        tail = full[at + 1:]
        if tail in order:
            matches.append(tail)
        at = full.find(".", at + 1)
    if not matches:
        return None
    return known[min(matches, key=order.__getitem__)]


# The tails index of the mappings tree_get was last asked of (asked tens of
# thousands of times of one mapping, which a scan over its keys made the
# hottest line of a large module's analysis).
_TAIL_INDEX: dict[int, tuple[Mapping[str, str], int, dict[str, int], dict[str, str]]] = {}


def _tails(known: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Each key's place in ``known``, and each dotted tail of a key -> the first key that has it."""
    held = _TAIL_INDEX.get(id(known))
    if held is not None and held[0] is known and held[1] == len(known):
        return held[2], held[3]
    order = {key: i for i, key in enumerate(known)}
    tails: dict[str, str] = {}
    for key in known:
        at = key.find(".")
        while at != -1:
            tails.setdefault(key[at + 1:], key)
            at = key.find(".", at + 1)
    if len(_TAIL_INDEX) > 16:
        _TAIL_INDEX.clear()
    _TAIL_INDEX[id(known)] = (known, len(known), order, tails)
    return order, tails
