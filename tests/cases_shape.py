"""Rule-table rows of the shape family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
