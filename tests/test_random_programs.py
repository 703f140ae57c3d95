"""Random programs: s2sad's derivatives of generated Python/NumPy code against finite differences.

tests/progen.py generates the programs and judges each derivative; this file runs a short,
deterministic sample of each check (scripts/fuzz.py runs the long form). A failure is shrunk by
Hypothesis and reported with the whole program, its arguments and both numbers.
"""

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from progen import MODES, OUTPUTS, Refused, Unusable, arguments, check, programs

# Examples per check: when nothing fails the whole file runs in about 15 s on two cores (a
# failure adds the time Hypothesis takes to shrink it, which can be minutes).
EXAMPLES = {"grad": 150, "jvp": 150, "vjp": 100, "hessian": 80, "jacobian": 100}

outcomes: Counter = Counter()


@pytest.mark.parametrize("mode", MODES)
def test_random_programs(mode, monkeypatch):
    # Thousands of one-off programs: keep them out of the disk cache.
    monkeypatch.setenv("S2SAD_CACHE", "0")
    outcomes.clear()

    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        program = data.draw(programs(OUTPUTS[mode]), label="program")
        args = data.draw(arguments(program), label="arguments")
        seed = data.draw(st.integers(0, 2**16), label="seed of the random directions")
        try:
            check(mode, program, args, seed)
        except Refused as refusal:
            # Refusing a program is not a wrong answer; counted so a generator that only
            # produces refused programs does not pass unnoticed.
            outcomes["refused " + refusal.error_type] += 1
            return
        except Unusable:
            reject()
        outcomes["checked"] += 1

    run()
    print(f"{mode}: {dict(outcomes)}")
    assert outcomes["checked"] >= EXAMPLES[mode] // 2, dict(outcomes)
