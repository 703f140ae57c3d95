"""``s2sad check FILE.py:FUNC --at ...`` and its engine, compare_derivatives (which
s2sad.check_grad shares): grad and jvp against central finite differences, the worst relative
error per argument, exit status 1 above --tol."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from seed_functions import jacobian_example, lecture_f

import s2sad
from s2sad.api.checking import compare_derivatives

REPO = Path(__file__).resolve().parent.parent
LECTURE = "examples/lecture.py:f"

WRONG_RULE = '''\
import numpy as np
import s2sad


@s2sad.primitive
def square(x):
    return x * x


# Wrong on purpose: the derivative of x * x is 2 x, not 3 x.
s2sad.defvjp(square, x="g * 3.0 * x")
s2sad.defjvp(square, x="x_dot * 3.0 * x")


def f(x):
    return square(x) + np.sin(x)


def g(x, y):
    return x * y + np.sin(x)
'''

COUNTS = '''\
import numpy as np


def power(x, n):
    s = 1.0
    for _ in range(n):
        s = s * x
    return s


def norm(v):
    return np.sqrt(np.sum(v * v))


def divide(x, y):
    return x / y


def talk(x):
    print("hello")
    return x * x


def root(x):
    return np.sqrt(x)


def pair(x1, x2):
    return x1 * x2 + np.sin(x1), np.exp(x1 - x2)


def offset(x):
    return 1e8 + x * x
'''


def run(*args, cwd=REPO):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "s2sad", "check", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def rows(done):
    """{argument: (reverse error, forward error)} of a check's table."""
    table = {}
    for line in done.stdout.split("\nok:")[0].split("\nFAILED:")[0].splitlines()[2:]:
        parts = line.split()
        if line.startswith("  ") and len(parts) == 3:
            table[parts[0]] = (float(parts[1]), float(parts[2]))
        elif line.startswith("  "):
            table[parts[0]] = " ".join(parts[1:])
    return table


def assert_clean_error(done, status, *words):
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.startswith("s2sad")
    for word in words:
        assert word in done.stderr, done.stderr


# ------------------------------------------------------------------------------ engine
def test_compare_derivatives_gives_both_modes_for_each_argument():
    checks = compare_derivatives(lecture_f, 2.0, 5.0)
    assert [(c.position, c.name, c.mode) for c in checks] == [
        (0, "x1", "reverse"), (0, "x1", "forward"), (1, "x2", "reverse"), (1, "x2", "forward")]
    for check in checks:
        assert check.relative < 1e-7
        assert check.relative == abs(check.got - check.expected) / max(abs(check.expected), 1e-8)
    # The same random directions as check_grad: its result is the worst of these errors.
    assert s2sad.check_grad(lecture_f, 2.0, 5.0) == max(c.relative for c in checks)


def test_compare_derivatives_along_a_direction_matches_the_lecture_gradient():
    checks = compare_derivatives(lecture_f, 2.0, 5.0, wrt=0)
    reverse, forward = checks
    rng = np.random.default_rng(0)
    cotangent, direction = rng.standard_normal(), rng.standard_normal()
    # The directional derivative of y along the direction, scaled by the cotangent.
    assert reverse.got == pytest.approx(cotangent * 5.5 * direction, rel=1e-12)
    assert forward.got == pytest.approx(reverse.got, rel=1e-12)


def test_compare_derivatives_of_a_tuple_output():
    checks = compare_derivatives(jacobian_example, 1.0, 2.0)
    assert len(checks) == 4 and max(c.relative for c in checks) < 1e-7


def test_a_scipy_style_call_is_explained():
    def grad_f(x1, x2):
        return (1 / x1 + x2, x1 - math.cos(x2))

    with pytest.raises(s2sad.S2sadError, match="scipy.optimize.check_grad") as info:
        s2sad.check_grad(lecture_f, grad_f, np.array([2.0, 5.0]))
    assert "grad_f" in str(info.value) and "s2sad.check_grad(func, x0)" in info.value.hint


# ------------------------------------------------------------------------ command line
def test_check_passes_on_the_lecture_function():
    done = run(LECTURE, "--at", "2.0,5.0")
    assert done.returncode == 0, done.stderr
    table = rows(done)
    assert set(table) == {"x1", "x2"}
    for reverse, forward in table.values():
        assert reverse < 1e-6 and forward < 1e-6
    assert done.stdout.splitlines()[-2].startswith("ok: worst relative error ")


def test_check_reports_the_engines_numbers():
    done = run(LECTURE, "--at", "x1=2.0, x2=5.0", "--seed", "3")
    table = rows(done)
    checks = compare_derivatives(lecture_f, 2.0, 5.0, seed=3)
    for check in checks:
        shown = table[check.name][0 if check.mode == "reverse" else 1]
        assert shown == float(f"{check.relative:.1e}")


def test_check_fails_with_exit_1_on_a_wrong_user_rule(tmp_path):
    (tmp_path / "wrong.py").write_text(WRONG_RULE)
    done = run("wrong.py:f", "--at", "1.5", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    reverse, forward = rows(done)["x"]
    # s2sad says 3x + cos x where the truth is 2x + cos x: off by x / (2x + cos x).
    expected = 1.5 / (3.0 + math.cos(1.5))
    assert reverse == float(f"{expected:.1e}") and forward == reverse  # as printed
    assert done.stdout.splitlines()[-2].startswith("FAILED: worst relative error ")
    assert done.stdout.splitlines()[-1].startswith("  x, reverse mode: s2sad ")
    assert "Traceback" not in done.stderr
    # The argument whose derivative is right passes in the same function family.
    assert run("wrong.py:g", "--at", "1.5,2.0", cwd=tmp_path).returncode == 0


def test_tol_decides_the_exit_status():
    assert run(LECTURE, "--at", "2.0,5.0", "--tol", "1e-3").returncode == 0
    strict = run(LECTURE, "--at", "2.0,5.0", "--tol", "1e-30")
    assert strict.returncode == 1 and "FAILED" in strict.stdout


def test_integer_arguments_are_differentiated_unless_they_are_counts(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    ints = run(LECTURE, "--at", "2,5")
    assert ints.returncode == 0, ints.stderr
    assert set(rows(ints)) == {"x1", "x2"}
    counted = run("counts.py:power", "--at", "0.7,3", cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    table = rows(counted)
    assert table["n"] == "not differentiated (int)" and table["x"][0] < 1e-6


def test_arrays_and_wrt(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    done = run("counts.py:norm", "--at", "[3, 4, 12]", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert rows(done)["v"][0] < 1e-6
    only = run(LECTURE, "--at", "2.0,5.0", "--wrt", "x2")
    assert only.returncode == 0, only.stderr
    assert rows(only)["x1"] == "not differentiated (float)"


def test_the_functions_prints_stay_off_the_report(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    done = run("counts.py:talk", "--at", "1.5", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hello" not in done.stdout and "hello" in done.stderr


def test_errors_are_one_message_without_traceback(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    assert_clean_error(run("counts.py:divide", "--at", "1.0,0.0", cwd=tmp_path), 1,
                       "ZeroDivisionError", "counts.py:16", "return x / y")
    assert_clean_error(run(LECTURE, "--at", "2.0"), 2, "does not fit")
    assert_clean_error(run(LECTURE, "--at", "2.0,5.0", "--tol", "-1"), 2, "--tol")
    assert_clean_error(run(LECTURE, "--at", "2.0,5.0", "--wrt", "x9"), 1, "x9")
    missing = run(LECTURE)
    assert missing.returncode == 2 and "--at" in missing.stderr


def test_not_a_number_fails_and_several_outputs_are_checked_by_vjp(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    nan = run("counts.py:root", "--at", "-1.0", cwd=tmp_path)
    assert nan.returncode == 1 and "FAILED: worst relative error nan" in nan.stdout
    pair = run("counts.py:pair", "--at", "1.0,2.0", cwd=tmp_path)
    assert pair.returncode == 0, pair.stderr
    assert set(rows(pair)) == {"x1", "x2"} and max(max(v) for v in rows(pair).values()) < 1e-6


def test_a_failure_within_the_rounding_of_the_differences_says_so(tmp_path):
    (tmp_path / "counts.py").write_text(COUNTS)
    done = run("counts.py:offset", "--at", "1.0", cwd=tmp_path)
    assert done.returncode == 1
    assert "note: rounding in f's values may put the finite differences off" in done.stdout
    # The derivative is right: a step that rounding does not swamp passes.
    assert run("counts.py:offset", "--at", "1.0", "--eps", "1e-2", cwd=tmp_path).returncode == 0
    checks = compare_derivatives(lambda x: 1e8 + x * x, 1.0)
    assert all(abs(c.got - c.expected) < 10 * c.noise for c in checks)
    assert all(c.noise < 1e-8 for c in compare_derivatives(lecture_f, 2.0, 5.0))
    (tmp_path / "wrong.py").write_text(WRONG_RULE)
    wrong = run("wrong.py:f", "--at", "1.5", cwd=tmp_path)
    assert wrong.returncode == 1 and "note:" not in wrong.stdout  # far above the rounding
    tiny = run(LECTURE, "--at", "2.0,5.0", "--tol", "1e-30")
    assert tiny.returncode == 1 and "note: rounding" in tiny.stdout  # 1e-10 is rounding
