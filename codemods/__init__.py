"""LibCST codemods driven by a rename manifest.

``codemods.session_status`` holds the session-status codemod; it runs inside
migrator's pipeline and also under ``python -m libcst.tool codemod``.
"""
