"""What names a source (``Sources``): the manifest's session and foreign
tokens in a call name, a path or a command line (its leading words, through
constants, ``shutil.which`` and a helper's ``*args``), the user's markers,
and what the project exports of another module's callables."""

from __future__ import annotations

from typing import Iterator, Sequence

import libcst as cst

from codemods.literals import string_value
from codemods.words import FOREIGN_EXPORT, foreign_token
from migrator.engines.python import resolve_import
from codemods.provenance.model import Scope, Origin
from codemods.provenance.base import ResolverBase
from codemods.provenance.known import tree_get


class Sources(ResolverBase):
    """Which source a name, a path, a command line or an export names."""

    def _foreign_token(self, text: str) -> str | None:
        """A foreign source named by an identifier's words (``proc_info``,
        ``job``): the weakest sign, asked only when nothing is known of how
        the value was built."""
        if text not in self._foreign_names:  # asked of the same few names over and over
            self._foreign_names[text] = foreign_token(text, self.foreign_sources)
        return self._foreign_names[text]

    def _source_in(self, text: str) -> tuple[str, str] | None:
        """``(kind, token)`` when a call name or a string names a source of
        the manifest; a foreign one wins (``sessions_send`` says "sessions" too)."""
        low = text.lower()
        for token in self.foreign_tokens:
            if token in low:
                return "foreign", token
        for token in self.session_tokens:
            if token in low:
                return "session", token
        return None

    def _session_token(self, text: str) -> str | None:
        found = self._source_in(text)
        if found is not None and found[0] == "session":
            return found[1]
        for marker in self.markers:
            if marker and marker in text:
                return marker
        return None

    def _call_tokens(self, call: cst.Call) -> Iterator[str]:
        name = cst.helpers.get_full_name_for_node(call.func)
        if name:
            yield name
            # A function imported from a module (or called through one) also
            # answers to the module's name: lets a marker name a whole module.
            head = name.split(".", 1)[0]
            if head in self.facts.imported_names:
                module, _, original = self.facts.imported_names[head]
                yield f"{module}.{original}"
            elif head in self.facts.module_aliases:
                yield self.facts.module_aliases[head] + name[len(head):]

    def absolute(self, name: str) -> str | None:
        """The project-wide dotted name of a local name (``client.list_sessions``
        -> ``app.client.list_sessions``), or None when it is not the tree's."""
        head, _, rest = name.partition(".")
        tail = f".{rest}" if rest else ""
        if head in self.facts.imported_names:
            module, level, original = self.facts.imported_names[head]
            base = resolve_import(self.tree.module, self.tree.is_package, module, level)
            return f"{base}.{original}{tail}".lstrip(".")
        if head in self.facts.module_aliases:
            return self.facts.module_aliases[head] + tail
        if head in self.facts.functions or head in self.facts.classes:
            return f"{self.tree.module}.{name}".lstrip(".")
        return None

    def _exported(self, name: str) -> Origin | None:
        """What the project knows of a callable named ``name`` here: that
        it returns session rows, or (a function of another module that
        calls `sessions_send`) a foreign record."""
        # `collect[1]`: item 1 of what `collect` returns; the name is `collect`.
        bare, bracket, item = name.partition("[")
        full = self.absolute(bare)
        if full is None:  # (no `not exports` shortcut: an empty map's answer would change in the next round)
            return None
        why = tree_get(self.tree.exports, full + bracket + item)
        if why is None:
            return None
        if why.startswith(FOREIGN_EXPORT):
            return Origin("foreign", "strong", why[len(FOREIGN_EXPORT):])
        return Origin("session", "strong", why)

    def _exported_session(self, name: str) -> Origin | None:
        """A class or callable of the project known to carry session statuses."""
        known = self._exported(name)
        return known if known is not None and known.kind == "session" else None

    def _text_origin(self, text: str) -> Origin | None:
        found = self._source_in(text)
        if found is None:
            return None
        kind, token = found
        if kind == "foreign":
            return Origin(kind, "strong", f"the value comes from `{token}`")
        sources = self.manifest.python.sources
        if any(token == t.lower() for t in sources.paths):
            why = f"a path naming `{token}`"
        elif any(token == t.lower() for t in sources.commands):
            why = f"the output of `{token}`"
        elif any(token == t.lower() for t in sources.tables):
            why = f"a query of `{token}`"
        else:
            why = f"a `{token}` result"
        return Origin(kind, "strong", why)

    def _store_key(self, node: cst.BaseExpression) -> Origin | None:
        """A configuration's value that is the path of the sessions store:
        ``config["sessionsStorePath"]``, ``cfg.get("sessions_json")`` (a key
        of the manifest's ``path-keys``), or OpenClaw's own ``session.store``
        (``config["session"]["store"]``)."""
        label, holder = _keyed(node)
        if label is None:
            return None
        if label in self.path_keys:
            return Origin("session", "strong", f"a path from the `{label}` setting")
        if label == "store" and holder is not None and _keyed(holder)[0] == "session":
            return Origin("session", "strong", "a path from the `session.store` setting")
        return None

    def _command_words(self, elements: Sequence[cst.BaseElement], scope: Scope, depth: int) -> list[str]:
        """The leading words of a command line: string literals, and what a
        ``*name`` spreads (a list bound to it, or a helper's ``*args`` as the
        call being read passes them)."""
        words: list[str] = []
        for element in elements:
            if isinstance(element, cst.Element):
                word = string_value(element.value)
                if word is None and not words:
                    # [OPENCLAW, *args]: the program named by a constant.
                    word = self._program_word(element.value, scope, depth)
                if word is None:
                    break
                words.append(word)
                continue
            more = None
            if isinstance(element, cst.StarredElement) and isinstance(element.value, cst.Name):
                more = self._spread_words(element.value.value, scope, depth)
            if more is None:
                break
            words += more
        return words

    def _program_word(self, node: cst.BaseExpression, scope: Scope, depth: int) -> str | None:
        """The program a command line's first item names when it is no
        literal: a name bound once to a string, to ``shutil.which("prog")``,
        to ``os.environ.get("VAR", "prog")`` / ``os.getenv(...)``, or to an
        ``or`` of those (``shutil.which("openclaw") or "openclaw"``)."""
        if depth > 6:
            return None
        word = string_value(node)
        if word is not None:
            return word
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return self._program_word(node.left, scope, depth + 1) or self._program_word(node.right, scope, depth + 1)
        if isinstance(node, cst.Call) and node.args and not any(a.star for a in node.args):
            last = (cst.helpers.get_full_name_for_node(node.func) or "").rsplit(".", 1)[-1]
            if last == "which":
                return string_value(node.args[0].value)
            if last in ("get", "getenv") and len(node.args) == 2:
                return string_value(node.args[1].value)
            return None
        if isinstance(node, cst.Name):
            bindings = scope.lookup(node.value)
            owner = scope.owner_of(node.value) or scope
            if len(bindings) == 1 and bindings[0].kind == "assign" and bindings[0].value is not None \
                    and bindings[0].index is None:
                return self._program_word(bindings[0].value, owner, depth + 1)
        if isinstance(node, (cst.Name, cst.Attribute)) and self.tree.programs:
            # `[settings.OPENCLAW_BIN, *args]`, `[OPENCLAW_BIN, ...]` imported:
            # a constant of another module of the project.
            dotted = cst.helpers.get_full_name_for_node(node)
            full = self.absolute(dotted) if dotted else None
            if full is not None:
                found = tree_get(self.tree.programs, full)
                if found is not None:
                    return found
        if isinstance(node, cst.Attribute):
            # `[self.openclaw_bin, "gateway", "call", ...]`: an attribute that
            # holds a resolved path to a program names it by its own name.
            spelled = node.attr.value.lower()
            return next((p for p in self._programs() if spelled.startswith(p) or spelled.endswith(p)), None)
        return None

    def _programs(self) -> list[str]:
        """The programs of the manifest's session and foreign commands (``openclaw``)."""
        python = self.manifest.python
        return sorted({c.split()[0].lower() for c in (*python.sources.commands, *python.foreign.commands) if c.split()})

    def _spread_words(self, name: str, scope: Scope, depth: int) -> list[str] | None:
        if depth > 6:
            return None
        owner = scope.owner_of(name) or scope
        for binding in scope.lookup(name):
            if binding.kind == "assign" and isinstance(binding.value, (cst.List, cst.Tuple)):
                return self._command_words(binding.value.elements, owner, depth + 1)
            if binding.kind != "star" or not isinstance(owner.node, cst.FunctionDef):
                continue
            for function, call, call_scope in reversed(self._calls):
                if function is not owner.node:
                    continue
                skip = len(function.params.posonly_params) + len(function.params.params)
                words: list[str] = []
                for arg in call.args[skip:]:
                    if arg.keyword is not None:
                        break
                    if arg.star == "*" and isinstance(arg.value, cst.Name):
                        more = self._spread_words(arg.value.value, call_scope, depth + 1)
                        if more is None:
                            break
                        words += more
                        continue
                    word = string_value(arg.value) if not arg.star else None
                    if word is None:
                        break
                    words.append(word)
                return words
        return None


def _keyed(node: cst.BaseExpression) -> tuple[str | None, cst.BaseExpression | None]:
    """The string key a value is taken by and what it is taken from:
    ``holder["key"]`` or ``holder.get("key", ...)``."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value), node.value
    if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get"
            and node.args and not node.args[0].star):
        return string_value(node.args[0].value), node.func.value
    return None, None
