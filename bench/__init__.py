"""Benchmarks: the engine's cost next to a hand-written httpx client, and how it grows.

``python -m bench`` runs every section and writes ``bench/RESULTS.md``; ``python -m bench --quick``
is the small smoke version CI runs. Every figure is a ratio against a baseline measured in the same
run; nothing here ever fails on a timing.
"""

from .common import Figure, Sizes
from .suite import SECTIONS, run_suite

__all__ = ["Figure", "Sizes", "SECTIONS", "run_suite"]
