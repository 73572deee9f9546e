"""The package's public names are loaded on first use, and each is what the
README says whatever was imported before it: ``write`` is the function even
after its own submodule ``migrator.write`` was imported directly."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_write_is_the_function_whatever_imports_first() -> None:
    code = (
        "import sys, migrator.write\n"  # the submodule first: it used to win the package's name
        "from migrator import write\n"
        "import migrator.compat.negotiation\n"
        "from migrator.compat import negotiate\n"
        "print(type(write).__name__, write.__module__, sys.modules['migrator.write'].__name__, negotiate.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "function migrator.write migrator.write negotiate\n", "")
