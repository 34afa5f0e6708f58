"""Every case of the pitfalls corpus (tests/pitfalls.py) gives its right outcome."""

from __future__ import annotations

import pytest

from tests.libreoffice import libreoffice  # noqa: F401  (fixture)
from tests.pitfalls import CASES, run_case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pitfall(case, sample_store_template, tmp_path, request):
    office = request.getfixturevalue("libreoffice") if case.needs == "libreoffice" else None
    verdict = run_case(case, sample_store_template, tmp_path / "case", office)
    assert not verdict.traceback, verdict.detail
    assert not verdict.changed_by_invalid
    assert verdict.ok, verdict.detail
