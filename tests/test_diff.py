"""The change rule, in its two forms: the array form and its scalar twin always agree."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.diff import Guardrails, Outcome, decide, decide_all, outcomes
from sheetsync.results import Change

values = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["", "a", "b"]))


def objects(items: list[object]) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


@given(st.lists(st.tuples(values, values, values), max_size=30))
def test_the_array_form_and_the_scalar_twin_agree(rows):
    bases, sheets, currents = (objects([row[i] for row in rows]) for i in range(3))
    assert outcomes(bases, sheets, currents).tolist() == [decide(*row) for row in rows]


def test_the_table():
    assert decide(1, 1, 9) == Outcome.UNTOUCHED
    assert decide(1, 2, 1) == Outcome.CHANGE
    assert decide(1, 2, 2) == Outcome.ALREADY_APPLIED
    assert decide(1, 2, 3) == Outcome.CONFLICT


def test_decide_all_sorts_edits_and_sets_what_the_target_held():
    edits = [Change("s1", "p", "seller_price", None, 1200, base=1000, row=3),
             Change("s2", "p", "seller_price", None, 1200, base=1000, row=4),
             Change("s3", "p", "seller_price", None, 1200, base=1000, row=5),
             Change("s4", "p", "seller_price", None, 9000, base=1000, row=6)]
    decision = decide_all(edits, [1000, 1200, 1500, 1000], guardrails=Guardrails())
    assert [(c.sku_id, c.before) for c in decision.changes] == [("s1", 1000)]
    assert [c.sku_id for c in decision.already] == ["s2"]
    assert [(i.rule, i.sku_id, i.row) for i in decision.issues] == [("conflict", "s3", 5),
                                                                    ("large_price_change", "s4", 6)]
    forced = decide_all(edits[2:3], [1500], force=True)
    assert [c.sku_id for c in forced.changes] == ["s3"] and forced.issues[0].severity == "warning"
