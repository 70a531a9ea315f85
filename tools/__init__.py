"""Tooling that is not the product: the load test, the benchmarks and their shared harness.

Not part of the installed packages (pyproject's package list leaves it out); run from the checkout root:

    .venv/bin/python -m tools.loadtest [options]
    .venv/bin/python -m tools.bench_auth [options]
    .venv/bin/python -m tools.bench_instructions [options]

Each tool starts, sets Django up, makes its throwaway databases, runs its children and servers and
prints its figures through `tools.harness`.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout root: manage.py, efinance/, the apps


class ToolError(Exception):
    """A tool cannot go on, or a proof failed: its `main` prints the message on stderr and answers 1."""
