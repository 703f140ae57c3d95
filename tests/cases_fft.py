"""Rule-table rows of the fft family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
