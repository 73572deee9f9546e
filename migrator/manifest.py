"""The rename as data: load, validate and expose one manifest.

Every part of migrator (codemods, data rules, the gateway compatibility layer,
the deprecation headers, MIGRATION.md's table) reads the rename from the object
returned by :func:`load_manifest`. No status word appears in engine code.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence, TypeVar

from packaging.version import InvalidVersion, Version

from migrator.errors import ConfigError

Phase = Literal["expand", "contract"]
PHASES: tuple[Phase, ...] = ("expand", "contract")

DEFAULT_MANIFEST = "session_status.toml"

_CALVER_PREFIX = re.compile(r"^[vV](?=\d)")
# OpenClaw stamps build metadata after the version in some places
# ("2026.9.6-release-eb377ac5..."); only the leading version counts.
_CALVER_RELEASE = re.compile(r"^(\d+\.\d+\.\d+)-release\b.*$")


def parse_version(text: str) -> Version:
    """Parse an OpenClaw CalVer version (``2026.4.12``, ``2026.4.12-beta.1``,
    ``2026.4.7-1``, ``2027.1.0-alpha.2``) into an orderable ``Version``.

    ``-beta.N`` and ``-alpha.N`` are pre-releases (ordered before the release),
    ``-N`` is a correction (ordered after it): this is PEP 440's reading of the
    same spellings, so ``packaging`` does the comparison; never compare as text.
    """
    cleaned = _CALVER_PREFIX.sub("", text.strip())
    cleaned = _CALVER_RELEASE.sub(r"\1", cleaned)
    try:
        return Version(cleaned)
    except InvalidVersion:
        raise ValueError(f"not an OpenClaw version: {text!r}") from None


Syntax = Literal["prose", "python", "python-literal", "json", "json-unescaped", "yaml", "toml"]
SYNTAXES: tuple[Syntax, ...] = ("prose", "python", "python-literal", "json", "json-unescaped", "yaml", "toml")


def _hex(units: Iterable[str]) -> bytes:
    """Hex digits matched in either case."""
    return b"".join(b"[%s%s]" % (c.encode(), c.upper().encode()) if c.isalpha() else c.encode()
                    for unit in units for c in unit)


def _json_char(ch: str) -> bytes:
    """One character of a JSON string in every way JSON can write it."""
    escape = json.dumps(ch)[1:-1]  # \uXXXX (a surrogate pair past the BMP) or a short escape
    ways = [re.escape(ch.encode("utf-8"))]
    if escape != ch:
        ways.append(re.escape(escape.encode()))
    units = ["%04x" % ord(ch)] if ord(ch) < 0x10000 else re.findall(r"\\u(....)", json.dumps(ch))
    ways.append(b"".join(b"\\\\u" + _hex([unit]) for unit in units))
    if ch == "/":
        ways.append(re.escape(b"\\/"))
    return b"(?:" + b"|".join(ways) + b")"


def _escaped_char(ch: str, yaml: bool) -> bytes:
    """One character of a YAML or TOML scalar: as it is, or (in a
    double-quoted or basic string) as a ``\\u``, ``\\U`` or (YAML) ``\\x`` escape."""
    code = ord(ch)
    ways = [re.escape(ch.encode("utf-8")), b"\\\\U" + _hex(["%08x" % code])]
    if code < 0x10000:
        ways.append(b"\\\\u" + _hex(["%04x" % code]))
    if yaml and code < 0x100:
        ways.append(b"\\\\x" + _hex(["%02x" % code]))
    return b"(?:" + b"|".join(ways) + b")"


def _alternatives(word: str, syntax: Syntax) -> bytes:
    if syntax == "json":
        return b'"' + b"".join(_json_char(ch) for ch in word) + b'"'
    if syntax == "json-unescaped":
        return re.escape(json.dumps(word, ensure_ascii=False).encode("utf-8"))
    if syntax in ("yaml", "toml"):
        return b"".join(_escaped_char(ch, syntax == "yaml") for ch in word)
    return re.escape(word.encode("utf-8"))


@functools.lru_cache(maxsize=64)
def _compiled(words: tuple[str, ...], syntaxes: tuple[Syntax, ...]) -> re.Pattern[bytes]:
    branches = []
    for syntax in syntaxes:
        if syntax not in SYNTAXES:
            raise ValueError(f"unknown syntax {syntax!r} (known: {', '.join(SYNTAXES)})")
        alternation = b"|".join(_alternatives(w, syntax) for w in words)
        if syntax == "python" and alternation:
            alternation = rb"\b(?:" + alternation + rb")\b"
        elif syntax == "python-literal" and alternation:
            alternation = rb"[\"'](?:" + alternation + rb")[\"']"
        if alternation:
            branches.append(alternation)
    return re.compile(b"|".join(branches) or b"(?!)")


def value_pattern(words: Iterable[str], *syntaxes: Syntax) -> re.Pattern[bytes]:
    """The byte pattern of ``words`` as each of ``syntaxes`` can write them:
    a file (or line) that does not match holds none of them, so engines
    skip it unread. The one home of every engine's prefilter pattern.

    - ``prose``: the word as it is, anywhere;
    - ``python``: the word as a whole word (in a string or not);
    - ``python-literal``: the word as a whole string literal, ``"done"`` or
      ``'done'`` (any prefix, triple quotes too);
    - ``json``: the string token, quotes included, each character as it is
      or escaped (``"\\u0064one"``);
    - ``json-unescaped``: the string token as written without a backslash
      (for text that holds none, where it is the only spelling);
    - ``yaml``, ``toml``: the scalar, quoted or not, each character as it is
      or as a ``\\u``/``\\U`` (YAML also ``\\x``) escape.
    """
    # Longest first, so a word that begins another cannot cut a match short.
    return _compiled(tuple(sorted(set(words), key=lambda w: (-len(w), w))), tuple(syntaxes))


def holds_literal(words: Iterable[str], data: bytes) -> bool:
    """Whether ``data`` holds one of ``words`` as a whole string literal:
    exactly what ``value_pattern(words, "python-literal").search`` finds, by
    substring search. That pattern opens with a class of two quotes, which
    gives the regex engine no literal to skip ahead by, so on a file with no
    match it tries every byte; ``bytes.find`` of each word does not."""
    for word in _encoded(tuple(sorted(set(words)))):
        end = len(word)
        at = data.find(word)
        while at != -1:
            if at and data[at - 1] in _QUOTES and data[at + end : at + end + 1] in _QUOTE_BYTES:
                return True
            at = data.find(word, at + 1)
    return False


_QUOTES = frozenset(b"\"'")
_QUOTE_BYTES = (b'"', b"'")


@functools.lru_cache(maxsize=64)
def _encoded(words: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(w.encode("utf-8") for w in words if w)


@dataclass(frozen=True)
class Vocabulary:
    """The old and new names of one renamed field, as a bijection."""

    field: str
    old_to_new: Mapping[str, str]
    unchanged: tuple[str, ...]

    @property
    def new_to_old(self) -> dict[str, str]:
        return {new: old for old, new in self.old_to_new.items()}

    @property
    def old(self) -> frozenset[str]:
        return frozenset(self.old_to_new)

    @property
    def new(self) -> frozenset[str]:
        return frozenset(self.old_to_new.values())

    @property
    def all_values(self) -> frozenset[str]:
        """Every value of the vocabulary: old, new and unchanged names."""
        return self.old | self.new | frozenset(self.unchanged)

    def pattern(self, *syntaxes: Syntax) -> re.Pattern[bytes]:
        """The byte pattern of the old values in ``syntaxes`` (see :func:`value_pattern`)."""
        return value_pattern(self.old_to_new, *syntaxes)

    def quoted_in(self, data: bytes) -> bool:
        """Whether ``data`` quotes an old value as a whole string literal (see :func:`holds_literal`)."""
        return holds_literal(self.old_to_new, data)

    def to_new(self, value: str) -> str:
        return self.old_to_new.get(value, value)

    def to_old(self, value: str) -> str:
        return self.new_to_old.get(value, value)


@dataclass(frozen=True)
class Schedule:
    """Gateway versions and HTTP dates of the deprecation window."""

    introduced: Version
    sunset: Version
    introduced_text: str
    sunset_text: str
    deprecation_date: _dt.date
    sunset_date: _dt.date
    link: str

    def phase_for(self, gateway_version: Version) -> Phase:
        """The code phase for code that must talk to ``gateway_version``."""
        return "contract" if gateway_version >= self.sunset else "expand"


@dataclass(frozen=True)
class StoreSurface:
    """A built-in store (a file kind under an OpenClaw state dir)."""

    name: str
    format: str
    paths: tuple[str, ...]
    pointers: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    documents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Values of the vocabulary that the store's column CHECKs do not allow.
    absent_from_columns: tuple[str, ...] = ()


GatewayKind = Literal["response", "event", "tool", "request"]
GATEWAY_KINDS: tuple[GatewayKind, ...] = ("response", "event", "tool", "request")
EVIDENCE = ("captured", "package")


@dataclass(frozen=True)
class GatewaySurface:
    """A gateway frame that carries the field: a response, event or tool result
    served to clients, or a request's params sent to the gateway."""

    kind: GatewayKind
    name: str
    pointers: tuple[str, ...]
    text_pointers: tuple[str, ...] = ()
    evidence: str = "captured"  # where it was found: frames of a real gateway, or its package
    # Top-level payload keys that must be present for the pointers to apply: an
    # event that carries a session snapshot only sometimes says so by them.
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayRows:
    """The shape of a session row or entry wherever it sits in a frame: an object
    with the field, every ``identity`` key and one of the ``any_of`` keys."""

    identity: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewaySurvey:
    """The names of one gateway version that were surveyed and carry no session
    status; with the surfaces, every name the survey saw."""

    version: str = ""
    methods: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    tools: frozenset[str] = frozenset()

    def without_status(self, kind: str) -> frozenset[str]:
        """The names of ``kind`` (``response``/``request`` for methods, ``event``, ``tool``)."""
        return {"response": self.methods, "request": self.methods, "event": self.events, "tool": self.tools}[kind]


@dataclass(frozen=True)
class PythonSources:
    """Where values come from in Python code: session sources (rows of the
    renamed vocabulary) or foreign ones (another vocabulary's records)."""

    calls: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    containers: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    # Keys only these records have: a value also read with one is such a record.
    shape: tuple[str, ...] = ()
    # Keys of a configuration whose value is the path of a session store.
    path_keys: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every name of a source, for substring tests of calls and strings."""
        return (*self.calls, *self.paths, *self.tables, *self.events, *self.commands)


@dataclass(frozen=True)
class DeferredCalls:
    """Calls that run a function later with the arguments they are given (a
    job queue, an executor, a thread): what they pass reaches the function's
    parameters as a call of it would. ``first`` and ``second`` take the
    function as their first or second argument, the rest after it
    (``queue.enqueue(job, key, status)``, ``loop.run_in_executor(None, job,
    key)``); ``methods`` are a task's own, given its arguments as they are
    (``job.delay(key, status)``) or, ``packed``, as a tuple and a dict
    (``job.apply_async((key, status), {})``); ``targets`` are keywords that
    name the function (``Thread(target=job, args=(key,))``). ``args`` and
    ``kwargs`` keywords spread into its positions and keywords."""

    first: tuple[str, ...] = ()
    second: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    packed: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    # Calls that give a function the items of an iterable: by ``key=``
    # (``sorted(rows, key=rank)``, ``rows.sort(key=rank)``) or as their
    # first argument, the iterable second (``filter(is_dead, rows)``).
    keyed: tuple[str, ...] = ()
    mapped: tuple[str, ...] = ()
    # Calls that run a function they are given now and return its result
    # (``asyncio.to_thread(fetch)``), or objects that do when called
    # (``Retrying(...)(fetch, key)``).
    returns: tuple[str, ...] = ()
    # Functions connected to a signal receive what it is sent: ``@sig.connect``
    # (blinker's ``connect``, ``connect_via``) or ``@receiver(sig)`` (Django),
    # and ``sig.connect(handler)``; ``sig.send(sender, status=...)`` is a
    # deferred call of ``sig`` (``methods``), so of each of its receivers.
    connects: tuple[str, ...] = ()
    receivers: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyValueCalls:
    """A key-value store's methods (Redis hashes and strings): what one reads
    under a key is what the module writes under the same key of the same
    store. ``writes`` take the key first and the value as ``mapping=`` or
    last (``r.hset(KEY.format(key=k), mapping={...})``, ``r.set(k,
    json.dumps(row))``); ``reads`` take the key first (``r.hgetall(k)``)."""

    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandOptions:
    """A command line's options (argparse's ``add_argument``, click's
    ``option`` and ``argument``): ``declare`` are the calls that declare
    one, ``choices`` the keywords that list the values it takes (directly or
    through one of the ``wrappers``, ``click.Choice([...])``), ``defaults``
    the keywords of its default and ``dests`` of the name it is read by.
    ``pickers`` are a dashboard's widgets that return the option picked
    (Streamlit's ``st.selectbox(label, options)``, ``st.multiselect``):
    their options come second or as one of the ``choices`` keywords.
    ``parsers`` return what was parsed (``args = parser.parse_args()``)."""

    declare: tuple[str, ...] = ()
    pickers: tuple[str, ...] = ()
    parsers: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    wrappers: tuple[str, ...] = ()
    defaults: tuple[str, ...] = ()
    dests: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolSchemas:
    """Function tools offered to a model: the key of a tool's name, and the
    keys its parameters' JSON Schema sits under (OpenAI's ``parameters``,
    Anthropic's ``input_schema``, MCP's ``inputSchema``)."""

    names: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class PythonSurface:
    """How the field shows up in Python caller code."""

    keys: tuple[str, ...]
    attributes: tuple[str, ...]
    evidence: tuple[str, ...]  # every evidence token, those of strings only too
    evidence_imports: tuple[str, ...]
    mixed_sources: tuple[str, ...]
    foreign_sources: tuple[str, ...]
    foreign_words: frozenset[str]
    sources: PythonSources = field(default_factory=PythonSources)
    foreign: PythonSources = field(default_factory=PythonSources)
    string_evidence: frozenset[str] = frozenset()  # of ``evidence``, those counted only inside a string
    deferred: DeferredCalls = field(default_factory=DeferredCalls)
    key_value: KeyValueCalls = field(default_factory=KeyValueCalls)
    tool_schemas: ToolSchemas = field(default_factory=ToolSchemas)
    options: CommandOptions = field(default_factory=CommandOptions)
    # Methods that return an instance of the class they are given
    # (``self.query_one(SessionTable)``, ``query_one("#bar", Label)``).
    typed_lookups: tuple[str, ...] = ()
    # Decorators that hand a method the raw value of the fields they name
    # (pydantic's ``@field_validator("status")``, marshmallow's ``@validates``).
    field_validators: tuple[str, ...] = ()
    # Validating a whole row into a model: ``Row.model_validate(r)``, and
    # ``TypeAdapter(list[Row]).validate_python(rows)`` (adapters, their methods).
    model_constructors: tuple[str, ...] = ()
    adapters: tuple[str, ...] = ()
    adapter_methods: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentSurface:
    """What an agent is told about the field: the values a session can be
    resumed from (new names), the prompt guidance (``{resumable}`` stands for
    them) and the one-line note beside a resumable row."""

    resumable: tuple[str, ...]
    guidance: str
    note: str


@dataclass(frozen=True)
class Manifest:
    """One rename, validated. Build it with :func:`load_manifest`."""

    id: str
    title: str
    reference: str
    vocabulary: Vocabulary
    schedule: Schedule
    capability: str
    python: PythonSurface
    stores: tuple[StoreSurface, ...]
    never_paths: tuple[str, ...]
    gateway: tuple[GatewaySurface, ...]
    source: str
    agent: AgentSurface | None = None
    gateway_rows: GatewayRows = GatewayRows()
    gateway_survey: GatewaySurvey = GatewaySurvey()

    def __hash__(self) -> int:
        # Equal manifests come from equal source text; the mappings inside
        # cannot be hashed, and Options (which holds one) must be.
        return hash(self.source)

    @property
    def fingerprint(self) -> str:
        """A stable digest of the manifest, for cache keys and journals."""
        import hashlib

        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Load and validate a manifest; the built-in session-status one by default.

    Raises :class:`ConfigError` naming the offending key on any problem.
    """
    if path is None:
        text = resources.files("migrator.renames").joinpath(DEFAULT_MANIFEST).read_text("utf-8")
        where = f"migrator/renames/{DEFAULT_MANIFEST}"
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ConfigError(f"{where}: cannot read manifest: {reason}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: manifest is not valid TOML: {exc}") from None
    return _build(data, where, text)


def _need(data: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ConfigError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: key '{key}' has the wrong type ({type(value).__name__})")
    return value


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: key '{key}' must be a list of strings")
    return tuple(value)


_SOURCE_KEYS = ("calls", "paths", "tables", "events", "commands", "containers", "keys", "shape", "path-keys")

_T = TypeVar("_T")


def _lists(value: Any, where: str, key: str, kind: Callable[..., _T], names: Sequence[str]) -> _T:
    """A table of string lists (``[surfaces.python.sources]`` and the like)
    as ``kind``, built with one keyword per name; a missing list is empty,
    an unknown key is an error naming the known ones."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: key '{key}' must be a table")
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ConfigError(f"{where}: key '{key}.{unknown[0]}' is not one of {', '.join(names)}")
    return kind(**{name.replace("-", "_"): _strings(value.get(name, []), where, f"{key}.{name}") for name in names})


def _with_gateway(sources: PythonSources, gateway: Iterable[GatewaySurface]) -> PythonSources:
    """Every gateway response that carries session rows is a session source
    in Python too (``call("sessions.describe", ...)``), and so is every such
    event for a frame filtered by its name: one list of surfaces, not two.
    An event that carries a session only in some frames (``requires``, as
    ``agent``) is no source by its name alone."""

    def union(mine: tuple[str, ...], more: Iterable[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*mine, *more)))

    surfaces = list(gateway)
    return replace(
        sources,
        calls=union(sources.calls, (s.name for s in surfaces if s.kind == "response")),
        events=union(sources.events, (s.name for s in surfaces if s.kind == "event" and not s.requires)),
    )


def _build(data: Mapping[str, Any], where: str, source: str) -> Manifest:
    values = _need(data, "values", where, dict)
    field_name = _need(data, "field", where, str)
    unchanged = _strings(data.get("unchanged", {}).get("values", []), where, "unchanged.values")
    for old, new in values.items():
        if not isinstance(new, str) or not new:
            raise ConfigError(f"{where}: key 'values.{old}' must be a non-empty string")
        if old == new:
            raise ConfigError(f"{where}: key 'values.{old}' renames a value to itself")
    news = list(values.values())
    if len(set(news)) != len(news):
        raise ConfigError(f"{where}: key 'values' is not a bijection: two old names share a new name")
    for old, new in values.items():
        if new in values:
            raise ConfigError(f"{where}: key 'values.{old}': new name '{new}' is also an old name")
        if new in unchanged or old in unchanged:
            raise ConfigError(f"{where}: key 'values.{old}' collides with 'unchanged.values'")
    vocabulary = Vocabulary(field_name, dict(values), unchanged)

    sched = _need(data, "schedule", where, dict)
    try:
        introduced = parse_version(_need(sched, "introduced", where, str))
    except ValueError as exc:
        raise ConfigError(f"{where}: key 'schedule.introduced': {exc}") from None
    try:
        sunset = parse_version(_need(sched, "sunset", where, str))
    except ValueError as exc:
        raise ConfigError(f"{where}: key 'schedule.sunset': {exc}") from None
    if not introduced < sunset:
        raise ConfigError(f"{where}: key 'schedule.sunset' must be a later version than 'schedule.introduced'")
    dates = {}
    for key in ("deprecation-date", "sunset-date"):
        raw = sched.get(key)
        if isinstance(raw, str):
            try:
                raw = _dt.date.fromisoformat(raw)
            except ValueError:
                raise ConfigError(f"{where}: key 'schedule.{key}' is not a date: {raw!r}") from None
        if not isinstance(raw, _dt.date) or isinstance(raw, _dt.datetime):
            raise ConfigError(f"{where}: key 'schedule.{key}' must be a date (YYYY-MM-DD)")
        dates[key] = raw
    if not dates["deprecation-date"] < dates["sunset-date"]:
        raise ConfigError(f"{where}: key 'schedule.sunset-date' must come after 'schedule.deprecation-date'")
    schedule = Schedule(
        introduced=introduced,
        sunset=sunset,
        introduced_text=sched["introduced"],
        sunset_text=sched["sunset"],
        deprecation_date=dates["deprecation-date"],
        sunset_date=dates["sunset-date"],
        link=_need(sched, "link", where, str),
    )

    capability = _need(_need(data, "capability", where, dict), "name", where, str)
    surfaces = _need(data, "surfaces", where, dict)
    py = _need(surfaces, "python", where, dict)
    in_strings = _strings(py.get("evidence-in-strings", []), where, "surfaces.python.evidence-in-strings")
    python = PythonSurface(
        keys=_strings(py.get("keys", [field_name]), where, "surfaces.python.keys"),
        attributes=_strings(py.get("attributes", [field_name]), where, "surfaces.python.attributes"),
        evidence=(*_strings(py.get("evidence", []), where, "surfaces.python.evidence"), *in_strings),
        string_evidence=frozenset(in_strings),
        evidence_imports=_strings(py.get("evidence-imports", []), where, "surfaces.python.evidence-imports"),
        mixed_sources=_strings(py.get("mixed-sources", []), where, "surfaces.python.mixed-sources"),
        foreign_sources=_strings(py.get("foreign-sources", []), where, "surfaces.python.foreign-sources"),
        foreign_words=frozenset(_strings(py.get("foreign-words", []), where, "surfaces.python.foreign-words")),
        sources=_lists(py.get("sources", {}), where, "surfaces.python.sources", PythonSources, _SOURCE_KEYS),
        foreign=_lists(py.get("foreign", {}), where, "surfaces.python.foreign", PythonSources, _SOURCE_KEYS),
        deferred=_lists(py.get("deferred", {}), where, "surfaces.python.deferred", DeferredCalls,
                        ("first", "second", "methods", "packed", "targets", "keyed", "mapped", "returns",
                         "connects", "receivers")),
        key_value=_lists(py.get("key-value", {}), where, "surfaces.python.key-value", KeyValueCalls,
                         ("writes", "reads")),
        tool_schemas=_lists(py.get("tool-schemas", {}), where, "surfaces.python.tool-schemas", ToolSchemas,
                            ("names", "parameters")),
        options=_lists(py.get("options", {}), where, "surfaces.python.options", CommandOptions,
                       ("declare", "pickers", "parsers", "choices", "wrappers", "defaults", "dests")),
        typed_lookups=_strings(py.get("typed-lookups", []), where, "surfaces.python.typed-lookups"),
        field_validators=_strings(py.get("field-validators", []), where, "surfaces.python.field-validators"),
        model_constructors=_strings(py.get("model-constructors", []), where, "surfaces.python.model-constructors"),
        adapters=_strings(py.get("adapters", []), where, "surfaces.python.adapters"),
        adapter_methods=_strings(py.get("adapter-methods", []), where, "surfaces.python.adapter-methods"),
    )
    clash = python.foreign_words & vocabulary.all_values
    if clash:
        raise ConfigError(f"{where}: key 'surfaces.python.foreign-words' holds vocabulary values: {sorted(clash)}")

    stores = []
    for i, st in enumerate(surfaces.get("store", [])):
        key = f"surfaces.store[{i}]"
        docs = st.get("documents", {})
        if not isinstance(docs, dict):
            raise ConfigError(f"{where}: key '{key}.documents' must be a table")
        stores.append(
            StoreSurface(
                name=_need(st, "name", f"{where}: {key}", str),
                format=_need(st, "format", f"{where}: {key}", str),
                paths=_strings(st.get("paths", []), where, f"{key}.paths"),
                pointers=_strings(st.get("pointers", []), where, f"{key}.pointers"),
                columns=_strings(st.get("columns", []), where, f"{key}.columns"),
                documents={k: _strings(v, where, f"{key}.documents.{k}") for k, v in docs.items()},
                absent_from_columns=_strings(st.get("absent-from-columns", []), where, f"{key}.absent-from-columns"),
            )
        )
        stray = set(stores[-1].absent_from_columns) - vocabulary.all_values
        if stray:
            raise ConfigError(f"{where}: key '{key}.absent-from-columns' holds values outside the vocabulary: {sorted(stray)}")
    gateway = []
    for i, gw in enumerate(surfaces.get("gateway", [])):
        key = f"surfaces.gateway[{i}]"
        kind = _need(gw, "kind", f"{where}: {key}", str)
        if kind not in GATEWAY_KINDS:
            raise ConfigError(f"{where}: key '{key}.kind' must be one of {', '.join(GATEWAY_KINDS)}")
        evidence = gw.get("evidence", "captured")
        if evidence not in EVIDENCE:
            raise ConfigError(f"{where}: key '{key}.evidence' must be one of {', '.join(EVIDENCE)}")
        gateway.append(
            GatewaySurface(
                kind=kind,  # type: ignore[arg-type,unused-ignore]
                name=_need(gw, "name", f"{where}: {key}", str),
                pointers=_strings(gw.get("pointers", []), where, f"{key}.pointers"),
                text_pointers=_strings(gw.get("text-pointers", []), where, f"{key}.text-pointers"),
                evidence=evidence,
                requires=_strings(gw.get("requires", []), where, f"{key}.requires"),
            )
        )
    rows_table = surfaces.get("gateway-rows", {})
    rows = GatewayRows(
        identity=_strings(rows_table.get("identity", []), where, "surfaces.gateway-rows.identity"),
        any_of=_strings(rows_table.get("any-of", []), where, "surfaces.gateway-rows.any-of"),
    )
    survey_table = surfaces.get("gateway-survey", {})
    survey = GatewaySurvey(
        version=str(survey_table.get("version", "")),
        methods=frozenset(_strings(survey_table.get("methods", []), where, "surfaces.gateway-survey.methods")),
        events=frozenset(_strings(survey_table.get("events", []), where, "surfaces.gateway-survey.events")),
        tools=frozenset(_strings(survey_table.get("tools", []), where, "surfaces.gateway-survey.tools")),
    )
    for surface in gateway:
        if surface.kind != "request" and surface.name in survey.without_status(surface.kind):
            raise ConfigError(
                f"{where}: '{surface.name}' is a gateway {surface.kind} surface and also listed "
                "in 'surfaces.gateway-survey' as carrying no status"
            )
    python = replace(python, sources=_with_gateway(python.sources, gateway))
    never = _strings(surfaces.get("never", {}).get("paths", []), where, "surfaces.never.paths")
    agent = None
    if "agent" in surfaces:
        ag = _need(surfaces, "agent", where, dict)
        resumable = _strings(ag.get("resumable", []), where, "surfaces.agent.resumable")
        stray = set(resumable) - vocabulary.new
        if stray:
            raise ConfigError(f"{where}: key 'surfaces.agent.resumable' holds values that are not new names: {sorted(stray)}")
        guidance = _need(ag, "guidance", f"{where}: surfaces.agent", str)
        if "{resumable}" not in guidance:
            raise ConfigError(f"{where}: key 'surfaces.agent.guidance' must name the values as {{resumable}}")
        agent = AgentSurface(resumable, guidance, _need(ag, "note", f"{where}: surfaces.agent", str))
    return Manifest(
        id=_need(data, "id", where, str),
        title=data.get("title", ""),
        reference=data.get("reference", ""),
        vocabulary=vocabulary,
        schedule=schedule,
        capability=capability,
        python=python,
        stores=tuple(stores),
        never_paths=never,
        gateway=tuple(gateway),
        source=source,
        agent=agent,
        gateway_rows=rows,
        gateway_survey=survey,
    )
