"""Status words in prompt prose: when an old name IS a session status, and
when an instruction decides a new spawn from one.

The words of the rename are ordinary English ("I'm done", "the build
failed"), so a value counts only in a status context: quoted or back-ticked
near the word ``status``, in a ``status: failed`` / ``status == "done"`` form,
in a list of session values, or listed under a heading or lead-in about
statuses. Evidence weighs both ways, as in the Python rules: a sentence that
names a session raises confidence; another vocabulary in the same sentence
(``ok``, ``error``, a ``sessions_send`` result, a build status) rules it out.

Every vocabulary word comes from the manifest; the English word lists below
are the qualifiers that mark a status as someone else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from migrator.engines.markdown import Document, Sentence, code_spans
from migrator.findings import Confidence
from migrator.manifest import Manifest

RULE_STATUS = "prompt-status"
RULE_RESPAWN = "prompt-respawn"
RULE_JSON = "prompt-json"

# "<word> status" where the status is not a session's.
FOREIGN_QUALIFIERS = frozenset(
    """build builds ci job jobs task tasks process proc exit http cron test tests deploy
    deployment pipeline workflow check checks pr payment order command git server health
    service container pod ticket issue run runs outcome step lint merge delivery upload
    download request response http""".split()
)
# "status <word>": the English noun modifier, not the field.
NOT_THE_FIELD = frozenset(
    """update updates report reports reporting bar line lines page code codes message
    messages quo meeting meetings check checks badge badges indicator emoji summary""".split()
)
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_LIST_GAP = re.compile(r"[\s,|/()]*(?:(?:or|and|nor|then)\b[\s,|/]*)?", re.IGNORECASE)
_ITEM_START = re.compile(r"[\s\-*+\d.)|]*[*_]*")
_SESSION_WORD = re.compile(r"(?<![\w-])sessions?(?![\w-])", re.IGNORECASE)
_NEGATED_SPAWN = re.compile(
    r"(?:\bdo\s+not|\bdon['\u2019]t|\bnever|\binstead\s+of|\brather\s+than|\bwithout|\bnot)\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
_SPAWN = re.compile(
    r"sessions_spawn|(?<![\w-])(?:re-?)?spawn(?:s|ed|ing)?(?![\w-])"
    r"|\b(?:start|create|open|launch|begin|kick\s+off)\s+(?:up\s+)?(?:a\s+|an\s+)?"
    r"(?:new|fresh|another|second|replacement)\s+(?:\w+\s+)?"
    r"(?:session|subagent|sub-agent|agent|run|worker|instance)s?\b",
    re.IGNORECASE,
)
_ON_EVENT = re.compile(r"\b(?:on|after|upon)\s+(?:a\s+|an\s+|any\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    """One vocabulary word in a sentence (offsets into the document text)."""

    word: str
    start: int
    end: int
    form: str  # "ticked" (`done`), "quoted" ("done"), or "bare"
    in_code: bool  # inside an inline code span
    outer: tuple[int, int]  # with its quotes or backticks
    opening: str = ""
    closing: str = ""


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new``."""

    start: int
    end: int
    new: str


@dataclass(frozen=True)
class Hit:
    """A finding in prose, before the engine decides what the phase does."""

    rule: str
    start: int
    old: str
    confidence: Confidence
    why: str
    contract: Edit | None = None  # None: never rewritten (bare prose, advice)
    expand: Edit | None = None  # naming both; None when not possible or already done
    named_both: bool = False


class ProseRules:
    """The detection rules of prompt text, compiled once from a manifest."""

    def __init__(self, manifest: Manifest, markers: Iterable[str] = ()) -> None:
        vocab = manifest.vocabulary
        self.vocab = vocab
        self.field = vocab.field
        words = sorted(vocab.all_values, key=len, reverse=True)
        self.value_re = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, words)) + r")(?![\w-])")
        field = re.escape(vocab.field)
        self.field_re = re.compile(rf"(?<![\w-]){field}(?:es)?(?!\w)", re.IGNORECASE)
        self.key_value_re = re.compile(
            rf"(?<![\w-]){field}[\"'`\]]*\s*(?:==|!=|=|:|\bis(?:\s+not)?\b|\bwas\b|\bbecomes\b|\bequals\b)\s*"
            "[\"'`\u201c\u2018]?$",
            re.IGNORECASE,
        )
        foreign = sorted(manifest.python.foreign_words, key=len, reverse=True)
        self.foreign_word_re = re.compile(
            "[`\"'\u201c\u2018](?:" + "|".join(map(re.escape, foreign)) + ")[`\"'\u201d\u2019]"
        )
        sources = sorted(manifest.python.foreign_sources, key=len, reverse=True)
        self.foreign_source_re = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sources)) + r")(?!\w)")
        # Evidence that a sentence is about sessions of OpenClaw's session store.
        self.session_tokens = tuple(t for t in manifest.python.evidence if "session" in t)
        # Evidence that a whole file talks to OpenClaw: its tools and stores.
        tools = [s for s in manifest.python.foreign_sources if s.startswith("sessions_")]
        tokens = [*manifest.python.evidence, *tools, *markers]
        self.file_evidence_re = re.compile("|".join(re.escape(t) for t in tokens if t), re.IGNORECASE)
        self.old_list = ", ".join(f"`{w}`" for w in vocab.old_to_new)
        self.new_list = ", ".join(f"`{w}`" for w in vocab.old_to_new.values())

    # -- the file --------------------------------------------------------
    def file_evidence(self, text: str) -> str | None:
        """The first token that ties a whole file to OpenClaw, or None."""
        hit = self.file_evidence_re.search(text)
        return hit.group(0) if hit else None

    def scan(self, doc: Document, evidence: str | None, phase: str) -> list[Hit]:
        """Every prompt-status and prompt-respawn hit of a document's prose."""
        hits: list[Hit] = []
        contexts: list[dict[int, str]] = []
        sentences = doc.sentences
        token_lists = [self.tokens(doc.text, s) for s in sentences]
        for sentence, tokens in zip(sentences, token_lists):
            context = self._contexts(doc.text, sentence, tokens)
            contexts.append(context)
            if not context:
                continue
            tie = self._tie(doc.text, sentence)
            for token in tokens:
                if token.start not in context or token.word not in self.vocab.old:
                    continue
                if self._foreign(doc.text, sentence, token):
                    continue
                hits.append(self._status_hit(doc.text, token, context[token.start], tie, evidence))
        for index, sentence in enumerate(sentences):
            hit = self._respawn(doc.text, sentences, token_lists, contexts, index, evidence, phase)
            if hit is not None:
                hits.append(hit)
        return hits

    # -- tokens --------------------------------------------------------
    def tokens(self, text: str, sentence: Sentence) -> list[Token]:
        """The vocabulary words of a sentence, with how each is written."""
        body = text[sentence.start : sentence.end]
        spans = code_spans(body)
        out = []
        for match in self.value_re.finditer(body):
            ws, we = match.span()
            word = match.group(0)
            span = next(((a, b) for a, b in spans if a < ws and we < b), None)
            base = sentence.start
            if span is not None and body[span[0] : span[1]].strip("`").strip() == word:
                ticks = body[span[0] : span[1]]
                opening = ticks[: len(ticks) - len(ticks.lstrip("`"))]
                out.append(Token(word, base + ws, base + we, "ticked", True, (base + span[0], base + span[1]), opening, opening))
                continue
            before = body[ws - 1] if ws > 0 else ""
            after = body[we] if we < len(body) else ""
            if before in _QUOTES and after == _QUOTES[before]:
                out.append(Token(word, base + ws, base + we, "quoted", span is not None, (base + ws - 1, base + we + 1), before, after))
                continue
            out.append(Token(word, base + ws, base + we, "bare", span is not None, (base + ws, base + we)))
        return out

    # -- status context --------------------------------------------------
    def _field_mentions(self, body: str) -> list[int]:
        """Offsets of the word ``status`` used as the field, not as "build
        status" or "status update"."""
        found = []
        for match in self.field_re.finditer(body):
            prev = re.search(r"([A-Za-z][\w-]*)(?:['\u2019]s)?[\s`\"'*_.\[]*$", body[: match.start()])
            if prev and prev.group(1).lower() in FOREIGN_QUALIFIERS:
                continue
            nxt = re.match(r"[\s`\"'*\]]*([A-Za-z]+)", body[match.end() :])
            if nxt and nxt.group(1).lower() in NOT_THE_FIELD:
                continue
            found.append(match.start())
        return found

    def _contexts(self, text: str, sentence: Sentence, tokens: list[Token]) -> dict[int, str]:
        """For each token in a status context, why (keyed by its start)."""
        body = text[sentence.start : sentence.end]
        mentions = self._field_mentions(body)
        about_sessions = bool(_SESSION_WORD.search(body))
        out: dict[int, str] = {}
        for group in self._groups(text, tokens):
            values = list(dict.fromkeys(t.word for t in group))
            for token in group:
                shown = "back-ticked" if token.form == "ticked" else "quoted"
                before = body[: token.outer[0] - sentence.start] + (token.opening if token.form != "bare" else "")
                key_value = self.key_value_re.search(before)
                if key_value and key_value.start() in mentions:
                    snippet = text[max(sentence.start, token.outer[0] - 24) : token.outer[1]].strip()
                    out[token.start] = f"the value of `{self.field}` in \u201c{snippet}\u201d"
                elif token.form != "bare" and mentions:
                    out[token.start] = f"{shown} in a sentence about `{self.field}`"
                elif len(values) >= 3:
                    out[token.start] = f"in a list of session statuses ({', '.join(values)})"
                elif token.form != "bare" and about_sessions:
                    out[token.start] = f"{shown} in a sentence about sessions"
        if tokens and sentence.item and tokens[0].form != "bare":
            first = tokens[0]
            lead = sentence.lead.strip()
            if lead and self._field_mentions(lead) and _ITEM_START.fullmatch(text[sentence.start : first.outer[0]]):
                shown = lead if len(lead) <= 60 else lead[:57] + "..."
                out.setdefault(first.start, f"listed under \u201c{shown}\u201d")
        return out

    def _groups(self, text: str, tokens: list[Token]) -> list[list[Token]]:
        """Runs of vocabulary words separated only by commas, pipes, slashes, or/and."""
        groups: list[list[Token]] = []
        for token in tokens:
            if groups and _LIST_GAP.fullmatch(text[groups[-1][-1].outer[1] : token.outer[0]]):
                groups[-1].append(token)
            else:
                groups.append([token])
        return groups

    def _foreign(self, text: str, sentence: Sentence, token: Token) -> bool:
        """Whether the value belongs to another vocabulary: the sentence quotes
        ``ok`` or ``error``, or names a ``sessions_send`` result, a cron job or
        a process before the value (where the status is read from)."""
        body = text[sentence.start : sentence.end]
        if self.foreign_word_re.search(body):
            return True
        head = text[sentence.start : token.outer[0]]
        if any(name in head for name in self.session_tokens):
            return False  # the sentence names the session store first: ours
        if self._names_foreign(head, code_spans(body)):
            return True
        # A section about another tool ("## sessions_send") is its vocabulary.
        heading = sentence.heading
        return not any(name in heading for name in self.session_tokens) and self._names_foreign(
            heading, code_spans(heading)
        )

    def _names_foreign(self, text: str, spans: list[tuple[int, int]]) -> bool:
        for match in self.foreign_source_re.finditer(text):
            name = match.group(1)
            if "_" in name or "." in name or any(a <= match.start() < b for a, b in spans):
                return True
        return False

    def _tie(self, text: str, sentence: Sentence) -> str | None:
        body = text[sentence.start : sentence.end]
        for token in self.session_tokens:
            if token in body:
                return f"the sentence names `{token}`"
        if _SESSION_WORD.search(body) or _SESSION_WORD.search(sentence.lead):
            return "the sentence is about a session"
        return None

    def _status_hit(self, text: str, token: Token, context: str, tie: str | None, evidence: str | None) -> Hit:
        confidence: Confidence
        if tie and evidence and not context.endswith("about sessions"):
            confidence, reason = "certain", f"{tie}; the file talks to OpenClaw ({evidence})"
        elif tie or evidence:
            confidence = "likely"
            reason = tie or f"the file talks to OpenClaw ({evidence})"
        else:
            confidence, reason = "possible", "nothing ties the file to OpenClaw sessions"
        new = self.vocab.to_new(token.word)
        contract = expand = None
        pair = self._pair_end(text, token)
        rewritable = token.form in ("ticked", "quoted") or (token.in_code and context.startswith("the value of"))
        if rewritable:
            if pair is not None:
                contract = Edit(token.outer[0], pair, f"{token.opening}{new}{token.closing}")
            else:
                contract = Edit(token.start, token.end, new)
        if pair is None and (token.form == "ticked" or (token.form == "quoted" and not token.in_code)):
            expand = Edit(token.outer[1], token.outer[1], f" / {token.opening}{new}{token.closing}")
        return Hit(
            RULE_STATUS, token.start, token.word, confidence, f"{context}; {reason}",
            contract, expand, named_both=pair is not None,
        )

    def _pair_end(self, text: str, token: Token) -> int | None:
        """End of `` `old` / `new` `` when the value already names both."""
        if token.form == "bare":
            return None
        new = self.vocab.to_new(token.word)
        pattern = re.compile(r"\s*/\s*" + re.escape(f"{token.opening}{new}{token.closing}"))
        match = pattern.match(text, token.outer[1])
        return match.end() if match else None

    # -- respawn ---------------------------------------------------------
    def _respawn(
        self,
        text: str,
        sentences: list[Sentence],
        token_lists: list[list[Token]],
        contexts: list[dict[int, str]],
        index: int,
        evidence: str | None,
        phase: str,
    ) -> Hit | None:
        """An instruction that spawns a new session because of a status."""
        sentence = sentences[index]
        scope = [index]
        if sentence.joins_next and index + 1 < len(sentences):
            scope.append(index + 1)
        spawn = None
        for i in scope:
            body = text[sentences[i].start : sentences[i].end]
            for match in _SPAWN.finditer(body):
                if not _NEGATED_SPAWN.search(body[: match.start()]):
                    spawn = match
                    break
            if spawn:
                break
        if spawn is None:
            return None
        talk = any(
            _SESSION_WORD.search(text[sentences[i].start : sentences[i].end])
            or self.file_evidence_re.search(text[sentences[i].start : sentences[i].end])
            for i in scope
        )
        trigger = None
        for i in scope:
            for token in token_lists[i]:
                # New names mislead the same way: the advice outlives the rename.
                if token.word not in self.vocab.old and token.word not in self.vocab.new:
                    continue
                if token.start in contexts[i]:
                    trigger = token
                elif token.form != "bare" and talk:
                    trigger = token
                elif token.form == "bare" and _ON_EVENT.search(text[sentences[i].start : token.start]):
                    trigger = token
                if trigger:
                    break
            if trigger:
                break
        if trigger is None:
            return None
        names = self.new_list if phase == "contract" else self.old_list
        advice = (
            f"A session's `{self.field}` describes only its last turn, not the session: whatever it says "
            f"({names}), the session still accepts `sessions_send`, which resumes it with its history; "
            "spawn a new session only when you need a separate one."
        )
        why = (
            f"decides a new spawn from the status `{trigger.word}`, but the status describes only the last "
            f"turn and `sessions_send` resumes the session; add: \"{advice}\""
        )
        confidence: Confidence = "likely" if (talk or evidence) else "possible"
        return Hit(RULE_RESPAWN, trigger.start, self.vocab.to_old(trigger.word), confidence, why)
