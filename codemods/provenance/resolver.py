"""The resolver: one class answering provenance questions over a module's
collected facts, its methods in one part per concern."""

from __future__ import annotations

from codemods.provenance.subjects import Subjects
from codemods.provenance.sources import Sources
from codemods.provenance.origins import Origins
from codemods.provenance.names import Names
from codemods.provenance.classes import Classes
from codemods.provenance.columns import Columns
from codemods.provenance.copies import Copies
from codemods.provenance.verdicts import Verdicts
from codemods.provenance.exports import Exports


class Resolver(Subjects, Sources, Origins, Names, Classes, Columns, Copies, Verdicts, Exports):
    """Answers provenance questions over a module's collected facts."""
