"""The session-status codemod as a command of LibCST's own runner:
``python -m libcst.tool codemod codemods.session_status.SessionStatusCommand``."""

from __future__ import annotations

import argparse

import libcst as cst
from libcst.codemod import Codemod, CodemodContext

from codemods.session_status import StatusRewriter
from migrator.findings import CONFIDENCES
from migrator.manifest import load_manifest


class SessionStatusCommand(Codemod):
    """Rewrite OpenClaw session-status comparisons (failed -> interrupted, ...)."""

    DESCRIPTION: str = "Rewrite OpenClaw session-status literals where provenance holds (expand or contract)."

    def __init__(self, context: CodemodContext, phase: str = "expand", min_confidence: str = "likely") -> None:
        super().__init__(context)
        self.rewriter = StatusRewriter(load_manifest(), phase, min_confidence)  # type: ignore[arg-type]

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--phase", choices=["expand", "contract"], default="expand")
        arg_parser.add_argument(
            "--min-confidence", dest="min_confidence", choices=list(CONFIDENCES), default="likely"
        )

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        result = self.rewriter.rewrite(tree.bytes)
        if result.code == tree.bytes:
            return tree
        return cst.parse_module(result.code)
