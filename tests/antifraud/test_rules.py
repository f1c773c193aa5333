"""Analyst rules: readable, checked before use, never able to run code."""

import numpy as np
import pandas as pd
import pytest

from telcolens.antifraud.features import FEATURES
from telcolens.antifraud.rules import DEFAULT_RULES, RuleError, apply_rules, load_rules


def write(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_default_rules_load_and_cover_numbers_and_brokers():
    rules = load_rules(DEFAULT_RULES, features=list(FEATURES))
    assert {r.target for r in rules} == {"number", "id_card", "device", "outlet"}
    assert all(r.description for r in rules)


def test_rule_matches_and_missing_values_never_match():
    path_rules = load_rules(DEFAULT_RULES, features=list(FEATURES))
    rule = next(r for r in path_rules if r.name == "id_card_many_sims")
    f = pd.DataFrame({"sims_per_id_card": [6, 5, 9, np.nan], "is_business": [0, 0, 1, 0]})
    assert rule.matches(f).tolist() == [True, False, False, False]
    hits = apply_rules([rule], f)
    assert list(hits.columns) == ["id_card_many_sims"]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("__import__('os').system('id')", "Call is not allowed"),
        ("calls_out.real > 3", "Attribute is not allowed"),
        ("calls_out > 'many'", "only numbers"),
        ("no_such_feature > 3", "unknown feature 'no_such_feature'"),
        ("calls_out >", "is not valid"),
    ],
)
def test_unsafe_or_wrong_conditions_are_refused(tmp_path, when, message):
    path = write(tmp_path, f'rules:\n  - name: r\n    target: number\n    when: "{when}"\n')
    with pytest.raises(RuleError, match=message) as err:
        load_rules(path, features=list(FEATURES))
    assert str(path) in str(err.value) and "'r'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: 3", "expected a mapping with a 'rules' list"),
        ("rules:\n  - name: r\n    target: sim\n    when: calls_out > 1\n", "target 'sim'"),
        ("rules:\n  - name: r\n    target: number\n", "missing when"),
        ("rules:\n  - {name: r, target: number, when: calls_out > 1, colour: red}\n", "colour"),
        (
            "rules:\n  - {name: r, target: number, when: calls_out > 1}\n"
            "  - {name: r, target: number, when: calls_out > 2}\n",
            "duplicate name 'r'",
        ),
        ("rules: [\n", "cannot read rules"),
    ],
)
def test_malformed_rules_files_are_refused(tmp_path, text, message):
    with pytest.raises(RuleError, match=message):
        load_rules(write(tmp_path, text), features=list(FEATURES))
