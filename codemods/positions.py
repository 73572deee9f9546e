"""Where each node of a module starts and ends: LibCST's ``PositionProvider``,
laid out for less.

The analysis asks for the line of a few hundred nodes of a module (a call
named in a finding's why, a literal a finding reports), yet LibCST's provider
lays out every node of it, and costs more than the parse: each token is
split on newlines, each node's start and end are frozen dataclasses built as
it is generated, and each syntactic position goes through a generator-based
context manager. This provider generates the module the same way, with the
same rules for what a node's range covers, but keeps plain tuples (a range
is built only when it is asked for) and looks for newlines only in tokens
that have one. ``tests/codemods/test_stand_ins.py`` holds it to LibCST's
answer for every node of real modules.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

_NEWLINE = re.compile(r"\r\n?|\n")

# (start line, start column, end line, end column): lines from 1, columns from 0.
Span = tuple[int, int, int, int]


class _State(CodegenState):
    """Code generation that notes each node's span, as
    ``PositionProvidingCodegenState`` does."""

    def __init__(self, module: cst.Module, spans: dict[cst.CSTNode, Span]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.spans = spans
        self.line = 1
        self.column = 0
        self._stack: list[tuple[int, int]] = []

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        segments = _NEWLINE.split(value)
        self.line += len(segments) - 1
        self.column = len(segments[-1])

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self._stack.pop()
        if node not in self.spans:  # a syntactic position, noted inside, wins
            self.spans[node] = (line, column, self.line, self.column)

    # Any context manager does: the nodes only say `with state.record_syntactic_position(...)`.
    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None,
    ) -> "_Syntactic":
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """The context manager ``record_syntactic_position`` returns: a class,
    entered and left without a generator frame."""

    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state: _State, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node
        self.line, self.column = state.line, state.column

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        state = self.state
        line, column = self.line, self.column
        if self.start_node is not None:
            line, column = state.spans[self.start_node][:2]
        end_line, end_column = state.line, state.column
        if self.end_node is not None:
            end_line, end_column = state.spans[self.end_node][2:]
        state.spans[self.node] = (line, column, end_line, end_column)


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """Each node's range, as ``wrapper.resolve(PositionProvider)`` gives it."""

    def __init__(self, module: cst.Module) -> None:
        self._spans: dict[cst.CSTNode, Span] = {}
        module._codegen(_State(module, self._spans))

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        line, column, end_line, end_column = self._spans[node]
        return CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)
