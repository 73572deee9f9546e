"""known.tree_get answers as a scan of every key would: the value of
``full`` itself, else of the first key (in the mapping's order) that ends
in ``.full`` or that ``full`` ends in after a dot."""

from __future__ import annotations

from hypothesis import given, strategies as st

from codemods.provenance.known import tree_get

PARTS = st.sampled_from(["app", "src", "client", "rows", "sessions", "a", "b#keys", "Row#status"])
NAMES = st.lists(PARTS, min_size=1, max_size=4).map(".".join)


def _scan(known: dict[str, str], full: str) -> str | None:
    found = known.get(full)
    if found is None:
        found = next((v for k, v in known.items() if k.endswith("." + full) or full.endswith("." + k)), None)
    return found


@given(st.lists(NAMES, max_size=12, unique=True), st.lists(NAMES, min_size=1, max_size=6))
def test_as_a_scan_of_every_key(keys: list[str], asked: list[str]) -> None:
    known = {key: f"why {i}" for i, key in enumerate(keys)}
    for full in asked:
        assert tree_get(known, full) == _scan(known, full)


def test_examples() -> None:
    known = {"src.app.client.rows": "rows", "app.client": "module", "pkg.mod.f#counts": "counts"}
    assert tree_get(known, "app.client.rows") == "rows"  # a tail of a key
    assert tree_get(known, "src.app.client") == "module"  # a key is a tail of it
    assert tree_get(known, "mod.f#counts") == "counts"
    assert tree_get(known, "client.rows.x") is None
    assert tree_get({}, "a") is None
    known["late.app.client.rows"] = "later"
    assert tree_get(known, "app.client.rows") == "rows"  # the first in order, after the mapping grew
