"""Rule-table rows of the reductions family (aggregated by rule_table.py; see Case there)."""

CASES: list = []
