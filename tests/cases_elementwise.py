"""Rule-table rows of the elementwise family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
