"""Analyst-editable rules: readable conditions over the features, kept in YAML.

The default set is ``rules.yaml`` beside this module; ``telcolens antifraud run
--rules FILE`` takes an edited copy. A condition is checked before use: only
feature names, numbers, comparisons, arithmetic and ``and``/``or``/``not`` are
allowed, so a rules file cannot run code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from telcolens.errors import BadInput

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
TARGETS = ("number", "id_card", "device", "outlet")

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Name,
    ast.Load,
    ast.Constant,
)


class RuleError(BadInput):
    """A rules file that cannot be used; the message names the file and rule."""


@dataclass(frozen=True)
class Rule:
    name: str
    target: str
    description: str
    when: str

    def matches(self, features: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows the condition holds for (missing values never match)."""
        result = features.eval(self.when, engine="python")
        return pd.Series(result, index=features.index).fillna(False).astype(bool)


def load_rules(path: Path | None = None, features: list[str] | None = None) -> list[Rule]:
    """Read and check a rules file (the default set when ``path`` is None).

    With ``features``, every name a condition uses must be one of them.
    """
    path = path or DEFAULT_RULES
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RuleError(f"{path}: cannot read rules: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError(f"{path}: expected a mapping with a 'rules' list")
    rules, seen = [], set()
    for i, item in enumerate(doc["rules"], 1):
        rule = _rule(path, i, item, features)
        if rule.name in seen:
            raise RuleError(f"{path}: rule {i}: duplicate name {rule.name!r}")
        seen.add(rule.name)
        rules.append(rule)
    return rules


def _rule(path: Path, i: int, item: object, features: list[str] | None) -> Rule:
    where = f"{path}: rule {i}"
    if not isinstance(item, dict):
        raise RuleError(f"{where}: expected a mapping with name, target, description, when")
    missing = [k for k in ("name", "target", "when") if not item.get(k)]
    if missing:
        raise RuleError(f"{where}: missing {', '.join(missing)}")
    unknown = set(item) - {"name", "target", "description", "when"}
    if unknown:
        raise RuleError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    name, target, when = str(item["name"]), str(item["target"]), str(item["when"])
    where = f"{path}: rule {name!r}"
    if target not in TARGETS:
        raise RuleError(f"{where}: target {target!r} is not one of {', '.join(TARGETS)}")
    _check(where, when, features)
    return Rule(name, target, str(item.get("description") or name), when)


def _check(where: str, when: str, features: list[str] | None) -> None:
    try:
        tree = ast.parse(when, mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"{where}: condition {when!r} is not valid: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise RuleError(
                f"{where}: {type(node).__name__} is not allowed in a condition ({when!r})"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise RuleError(f"{where}: only numbers may appear as values ({when!r})")
        if isinstance(node, ast.Name) and features is not None and node.id not in features:
            raise RuleError(f"{where}: unknown feature {node.id!r} ({when!r})")


def apply_rules(rules: list[Rule], features: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per rule (named after it), indexed like ``features``."""
    return pd.DataFrame({r.name: r.matches(features) for r in rules}, index=features.index)
