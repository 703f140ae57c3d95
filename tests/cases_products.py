"""Rule-table rows of the products family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
