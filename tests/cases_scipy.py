"""Rule-table rows of the scipy family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
