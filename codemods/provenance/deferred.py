"""Calls that run a function later: what a job queue, an executor or a
thread is given for the function reaches its parameters.

``queue.enqueue(follow_up, row["key"], row["status"], job_id=...)`` calls
``follow_up(row["key"], row["status"], job_id=...)`` on a worker, later; so
do ``follow_up.delay(...)``, ``follow_up.apply_async((...), {...})``,
``executor.submit(follow_up, ...)`` and ``Thread(target=follow_up,
args=(...))``. :func:`stand_in` turns such a call into the call it makes
(the manifest's ``[surfaces.python.deferred]`` names the shapes), so the
provenance joins its arguments with those of the function's plain calls.
The queue's own keywords (``job_id=``, ``countdown=``) stay keywords: they
name no parameter of a status-testing function, or if they do, what they
pass is judged like any argument.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from codemods.literals import string_value
from migrator.manifest import DeferredCalls

_SPREAD = ("args", "kwargs")


def stand_in(call: cst.Call, shapes: DeferredCalls) -> cst.Call | None:
    """The call of the deferred function ``call`` makes, with the arguments
    it passes (the nodes of ``call`` itself), or None when ``call`` defers
    nothing. Its ``func`` is the node naming the function (``follow_up``,
    ``tasks.follow_up``)."""
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    args = list(call.args)
    for arg in args:
        if arg.keyword is not None and arg.keyword.value in shapes.targets and _names_function(arg.value):
            rest = [a for a in args if a is not arg and a.keyword is not None]
            return _call(arg.value, [], rest)
    positional = [a for a in args if a.keyword is None]
    if any(a.star for a in positional):
        return None  # where the function stands, and what follows it, is not known
    for shape, index in ((shapes.first, 0), (shapes.second, 1)):
        if method in shape and len(positional) > index and _names_function(positional[index].value):
            return _call(positional[index].value, positional[index + 1:], [a for a in args if a.keyword is not None])
    if not isinstance(func, cst.Attribute) or not _names_function(func.value):
        return None
    if method in shapes.methods:
        return _call(func.value, positional, [a for a in args if a.keyword is not None])
    if method in shapes.packed:
        # apply_async((key, status), {"force": True}, countdown=10): args, kwargs, options.
        packed = [cst.Arg(v, keyword=cst.Name(k)) for k, v in zip(_SPREAD, (a.value for a in positional))]
        return _call(func.value, [], [*packed, *(a for a in args if a.keyword is not None)])
    return None


def _names_function(node: cst.BaseExpression) -> bool:
    """A plain or dotted name (``follow_up``, ``tasks.follow_up``): what a
    function is passed as. A call or a lambda is no function of the tree."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _names_function(node.value)


def _call(function: cst.BaseExpression, positional: Sequence[cst.Arg], keywords: Sequence[cst.Arg]) -> cst.Call:
    out = list(positional)
    named: list[cst.Arg] = []
    for arg in keywords:
        keyword = arg.keyword.value if arg.keyword is not None else ""
        value = arg.value
        if keyword == "args" and isinstance(value, (cst.Tuple, cst.List)):
            if any(isinstance(e, cst.StarredElement) for e in value.elements):
                out.append(cst.Arg(value, star="*"))  # later positions are unknown
            else:
                out += [cst.Arg(e.value) for e in value.elements]
        elif keyword == "kwargs" and isinstance(value, cst.Dict):
            for entry in value.elements:
                name = string_value(entry.key) if isinstance(entry, cst.DictElement) else None
                if name is not None and name.isidentifier():
                    named.append(cst.Arg(entry.value, keyword=cst.Name(name)))
        elif keyword not in _SPREAD:
            named.append(arg)
    return cst.Call(function, [*out, *named])


def item_call(call: cst.Call, shapes: DeferredCalls) -> tuple[cst.Call, cst.BaseExpression, cst.BaseExpression] | None:
    """The call of a function ``call`` gives the items of an iterable
    (``sorted(rows, key=rank)`` calls ``rank(rows[0])``, ``rows.sort(key=rank)``
    and ``filter(is_dead, rows)`` likewise), the item standing for them, and
    the iterable; or None."""
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    function: cst.BaseExpression | None = None
    iterable: cst.BaseExpression | None = None
    if method in shapes.keyed:
        function = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "key"), None)
        # `rows.sort(key=...)` sorts the list it is called on; `heapq.nsmallest(3, rows, key=...)` the second.
        if method == "sort" and isinstance(func, cst.Attribute):
            iterable = func.value
        elif positional:
            iterable = positional[1] if method in ("nsmallest", "nlargest") and len(positional) > 1 else positional[0]
    elif method in shapes.mapped and len(positional) >= 2:
        function, iterable = positional[0], positional[1]
    if function is None or iterable is None or not _names_function(function):
        return None
    item = cst.Subscript(iterable, [cst.SubscriptElement(cst.Index(cst.Integer("0")))])
    return _call(function, [cst.Arg(item)], []), item, iterable
