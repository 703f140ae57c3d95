"""Rule-table rows of the linalg family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
