"""Hypothesis profiles and strategies shared by the property tests.

The default profile ("ci") keeps the example counts small so the whole Hypothesis suite runs in
well under a minute; HYPOTHESIS_PROFILE=nightly runs many more examples of the same properties:

    HYPOTHESIS_PROFILE=nightly python -m pytest tests/test_convert.py tests/test_properties.py
"""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.register_profile("nightly", max_examples=2000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Text that spreadsheets and sellers produce: digits of every script, separators, full-width forms,
# controls, zero-width and other invisible characters, error literals and number-like words.
TRICKY_CHARACTERS = ("0123456789.,+- \u00a0\u202f\u3000１２３．，－²³¹٣۴߀"
                     "\u200b\u200d\ufeff\u00ad\x00\x07\t\n\r\x7f\x85eE$%#")
tricky_text = st.one_of(
    st.text(),
    st.text(alphabet=TRICKY_CHARACTERS, max_size=12),
    st.sampled_from(["#N/A", "#REF!", "#NUM!", "NaN", "inf", "-Infinity", "1e400", "TRUE", "=A1", "1,250", "1.000",
                     "1 2", "１２.５", "12.50 ", "0", "-0", "9" * 25, "\u200b", "\u3164", " "]),
)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**30), max_value=10**30),
                    st.sampled_from([0.1 + 0.2, 12.345, 2.0**53, 2.0**53 + 2, -0.0, 1e300, 5e-324]))
cell_values = st.one_of(
    st.none(), st.just(""), tricky_text, numbers, st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)), st.dates(), st.times(),
    st.timedeltas(min_value=dt.timedelta(days=-5000), max_value=dt.timedelta(days=5000)),
)
