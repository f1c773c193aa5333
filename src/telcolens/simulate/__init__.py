"""The synthetic province: a Shandong-like operator's data with planted behaviours.

``generate_province(out, subscribers=..., days=..., seed=...)`` writes every table
of :mod:`telcolens.schema` under ``out`` and the ground truth under ``out/truth/``.
See docs/simulate.md.
"""

from telcolens.simulate.province import ProvinceSummary, generate_province

__all__ = ["ProvinceSummary", "generate_province"]
