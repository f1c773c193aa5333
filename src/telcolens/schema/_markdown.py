"""Render the data model as Markdown: docs/data-model.md is this function's output."""

from __future__ import annotations

from telcolens.schema._table import Table

INTRO = """\
# Data model

Generated from `src/telcolens/schema/` by `telcolens tables --markdown > docs/data-model.md`;
a test fails when the two disagree, so this page is always the code's truth.

A data directory holds one folder per table, each a set of Parquet files with exactly the
stored schema below (`DIR/voice/*.parquet`, ...); `DIR/truth/` holds a synthetic province's
ground truth, which only evaluation reads.

**Identifiers are pseudonyms.** Phone numbers, ID-card numbers and IMEIs arrive as text in
input files (under the *input name* shown) and are stored as the first 64 bits of
HMAC-SHA256 under `TELCOLENS_PSEUDONYM_KEY` (`int64`). The same number always gets the same
pseudonym under one key, so tables join on them; the raw number is never stored or logged.

**Times** are naive China Standard Time (UTC+8), as mediation systems deliver them.

**Call and SMS legs.** Voice and SMS records are written per served party: an `MO` record
for our subscriber who calls or sends, an `MT` record for our subscriber who receives. A call
between two of our subscribers has both; a call with another network's number has one.
"""


def _constraint(col) -> str:
    parts = []
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{v}`" for v in col.allowed))
    if col.minimum is not None:
        parts.append(f">= {col.minimum:g}")
    if col.maximum is not None:
        parts.append(f"<= {col.maximum:g}")
    if col.unit:
        parts.append(col.unit)
    return "; ".join(parts)


def _table_markdown(table: Table) -> str:
    lines = [f"### `{table.name}`", "", table.description, ""]
    if table.key:
        lines += [f"Natural key: {', '.join(f'`{k}`' for k in table.key)}.", ""]
    has_tr181 = any(c.tr181 for c in table.columns)
    head = "| column | type | null | input name | constraint | meaning |"
    rule = "|---|---|---|---|---|---|"
    if has_tr181:
        head, rule = head + " TR-181 parameter |", rule + "---|"
    lines += [head, rule]
    for c in table.columns:
        row = (
            f"| `{c.name}` | {c.dtype} | {'yes' if c.nullable else 'no'} | "
            f"`{c.input_name}`{' (text, pseudonymised)' if c.pseudonym else ''} | "
            f"{_constraint(c)} | {c.description} |"
        )
        if has_tr181:
            row += f" {f'`{c.tr181}`' if c.tr181 else ''} |"
        lines.append(row)
    return "\n".join(lines) + "\n"


def render_markdown(tables: dict[str, Table]) -> str:
    """The whole data-model page, grouped by domain."""
    out = [INTRO]
    domains: dict[str, list[Table]] = {}
    for table in tables.values():
        domains.setdefault(table.domain, []).append(table)
    for domain, members in domains.items():
        out.append(f"## {domain.capitalize()}\n")
        out.extend(_table_markdown(t) for t in members)
    return "\n".join(out)
