"""The shape of a Markdown or plain-text prompt: fenced code blocks, and the
sentences of its prose with what leads into them (a heading, a lead-in line,
a table header).

Only as much Markdown as status detection needs: every offset is a character
offset into the decoded text, so edits can be spliced back byte for byte.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\r\n]*?)[ \t]*$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
# A sentence ends at . ! ? followed by white space; ';' also separates clauses.
_SENTENCE_END = re.compile(r"(?<=[.!?;])[ \t\r\n]+")


@dataclass(frozen=True)
class Fence:
    """A fenced code block. ``body_start``/``body_end`` delimit the lines between
    the fences (``body_end`` is the end of the text when it is never closed)."""

    info: str
    line: int  # 1-based line of the opening fence
    indent: str
    body_start: int
    body_end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence of prose. ``lead`` is the text that leads into it when it is
    a list item or a table cell (a heading, a line ending in ':', a column
    header), for values listed under a heading about statuses."""

    start: int
    end: int
    lead: str = ""
    item: bool = False  # the first sentence of a list item or a table cell
    joins_next: bool = False  # ends with ':', so the next sentence continues it
    heading: str = ""  # the nearest heading above it


@dataclass
class Document:
    """A prompt file split into prose sentences and fenced blocks."""

    text: str
    line_starts: list[int] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; a BOM is not a column."""
        index = bisect.bisect_right(self.line_starts, offset) - 1
        column = offset - self.line_starts[index] + 1
        if index == 0 and self.text.startswith("\ufeff"):
            column -= 1
        return index + 1, column


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line without its line break) for every line."""
    out = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        out.append((offset, raw.rstrip("\r\n")))
        offset += len(raw)
    if not out or text.endswith(("\n", "\r")):
        out.append((offset, ""))
    return out


def _cells(line: str, offset: int) -> list[tuple[int, int]]:
    """Spans of the cells of a table row, without the outer pipes."""
    spans = []
    start = 0
    i = 0
    while i <= len(line):
        if i == len(line) or (line[i] == "|" and (i == 0 or line[i - 1] != "\\")):
            if line[start:i].strip():
                spans.append((offset + start, offset + i))
            start = i + 1
        i += 1
    return spans


def parse(text: str) -> Document:
    """Split ``text`` into fenced blocks and prose sentences."""
    doc = Document(text)
    lines = _lines(text)
    doc.line_starts = [offset for offset, _ in lines]
    blocks: list[tuple[int, int, str, bool, str]] = []  # (start, end, lead, item, heading)
    heading = ""
    lead_in = ""  # a line ending in ':' leads into the list below it
    lead_indent = -1  # indentation of the list item that leads in (-1: a paragraph)
    header: list[str] = []  # table column headers, once the rule row is seen
    paragraph: tuple[int, int] | None = None
    i = 0

    def flush() -> None:
        nonlocal paragraph
        if paragraph is not None:
            blocks.append((paragraph[0], paragraph[1], "", False, heading))
            paragraph = None

    while i < len(lines):
        offset, line = lines[i]
        fence = _FENCE.match(line)
        if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            flush()
            marker = fence.group(2)
            info = fence.group(3).split()[0].lower() if fence.group(3).strip() else ""
            body_start = lines[i + 1][0] if i + 1 < len(lines) else len(text)
            j = i + 1
            while j < len(lines):
                closing = lines[j][1].strip()
                if closing.startswith(marker[0] * len(marker)) and set(closing) == {marker[0]}:
                    break
                j += 1
            body_end = lines[j][0] if j < len(lines) else len(text)
            doc.fences.append(Fence(info, i + 1, fence.group(1), body_start, body_end))
            i = j + 1
            continue
        stripped = line.strip()
        if not stripped:
            flush()
            header = []
        elif _HEADING.match(line):
            flush()
            heading, lead_in, lead_indent, header = stripped, "", -1, []
        elif "|" in stripped and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1][1]) and "-" in lines[i + 1][1]:
            flush()
            header = [line[a - offset : b - offset].strip() for a, b in _cells(line, offset)]
            i += 2  # the header row and the rule row carry no values to migrate
            continue
        elif header and "|" in stripped:
            for column, (a, b) in enumerate(_cells(line, offset)):
                name = header[column] if column < len(header) else ""
                blocks.append((a, b, name, True, heading))
        elif _ITEM.match(line):
            flush()
            indent = len(line) - len(line.lstrip())
            if lead_indent >= 0 and indent <= lead_indent:
                lead_in, lead_indent = "", -1  # back at the level of the item that led in
            lead = lead_in or heading
            end = offset + len(line)
            # Continuation lines of the item (indented, not a new item).
            while i + 1 < len(lines):
                nxt = lines[i + 1][1]
                if not nxt.strip() or _ITEM.match(nxt) or _HEADING.match(nxt) or _FENCE.match(nxt):
                    break
                if not nxt.startswith((" ", "\t")):
                    break
                i += 1
                end = lines[i][0] + len(nxt)
            blocks.append((offset, end, lead, True, heading))
            if text[offset:end].rstrip().endswith(":"):
                lead_in, lead_indent = text[offset:end], indent  # leads into its sub-items
        else:
            if paragraph is None:
                paragraph = (offset, offset + len(line))
                lead_in, lead_indent = "", -1
            else:
                paragraph = (paragraph[0], offset + len(line))
            if stripped.endswith(":"):
                lead_in = text[paragraph[0] : paragraph[1]]
        i += 1
    flush()
    for start, end, lead, item, title in blocks:
        _split(doc, start, end, lead, item, title)
    return doc


def _split(doc: Document, start: int, end: int, lead: str, item: bool, heading: str) -> None:
    """Cut a block into sentences, never inside a code span."""
    chunk = doc.text[start:end]
    ticks = code_spans(chunk)
    cuts = [0]
    for match in _SENTENCE_END.finditer(chunk):
        if not any(a < match.start() < b for a, b in ticks):
            cuts.append(match.end())
    cuts.append(len(chunk))
    first = True
    for a, b in zip(cuts, cuts[1:]):
        piece = chunk[a:b].rstrip()
        if not piece.strip():
            continue
        doc.sentences.append(
            Sentence(start + a, start + a + len(piece), lead, item and first, piece.endswith(":"), heading)
        )
        first = False


_TICKS = re.compile(r"`+")


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every inline code span, backticks included."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        opening = _TICKS.search(text, pos)
        if not opening:
            return spans
        run = opening.group(0)
        closing = re.compile(rf"(?<!`){run}(?!`)").search(text, opening.end())
        if not closing:
            pos = opening.end()
            continue
        spans.append((opening.start(), closing.end()))
        pos = closing.end()
