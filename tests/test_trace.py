"""Teaching traces: the lecture's forward primal, forward tangent and reverse adjoint tables,
with its numbers (seed 000), through loops, branches, arrays and errors."""

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from cf_corpus import CORPUS, loop_polynomial, loop_while_with_break
from fd import numeric_grad
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from progen import Loaded, arguments, programs
from seed_functions import lecture_f, neuron_loss

import s2sad
from s2sad.teaching.tables import number, show
from s2sad.values import private_copy

ROOT = Path(__file__).resolve().parents[1]


def rows(trace, kind):
    return trace.table(kind).rows


def statements(trace, kind):
    return [row.statement for row in rows(trace, kind)]


def scaled_branch(x):
    z = x * 2.0
    if x > 0:
        y = z * z
    else:
        y = -3.0 * z
    return y


def divide_by_difference(x, y):
    return x / (y - y)


def log_of_difference(x):
    return np.log(x - x) * 2.0


def many_terms(w, x):
    return np.sum(np.tanh(w * x))


def nested_loops(x, n):
    s = 0.0
    for _i in range(n):
        for j in range(2):
            s = s + x * j
    return s


def pair(x, y):
    return x * y, x + y


def test_seed000_primal_trace_reproduces_the_lecture_values_and_output_row():
    trace = s2sad.trace(lecture_f, 2.0, 5.0)
    assigns = [row for row in rows(trace, "primal") if row.kind == "assign"]
    assert [round(row.value, 3) for row in assigns] == [0.693, 10.0, 10.693, -0.959, 11.652]
    assert [row.statement for row in assigns][0] == "t1 = np.log(x1)"
    output = rows(trace, "primal")[-1]
    assert (output.kind, output.statement, round(output.value, 3)) == ("output", "y = t5", 11.652)
    assert trace.output == lecture_f(2.0, 5.0)
    text = str(trace)
    assert "y = t5           = 11.652  (output)" in text
    assert "x1               = 2       (input)" in text


def test_seed000_tangent_trace_for_x1_is_the_lecture_derivative_trace():
    trace = s2sad.trace(lecture_f, 2.0, 5.0, seed="x1")
    tangent = {row.target: row.value for row in rows(trace, "tangent")}
    # the lecture: v0' = 1, v1' = 0, v2' = 1/2, v3' = 1*5 + 0*2, v4' = 0 * cos 5, y' = 5.5
    assert (tangent["x1_dot"], tangent["x2_dot"], tangent["t1_dot"]) == (1.0, 0.0, 0.5)
    assert (tangent["t2_dot"], tangent["t4_dot"]) == (5.0, 0.0)
    assert tangent["y_dot"] == 5.5 == trace.tangent("t5")
    assert "t2_dot = x1_dot * x2 + x1 * x2_dot" in statements(trace, "tangent")


def test_tangent_trace_seeded_with_x2_gives_the_other_partial_derivative():
    trace = s2sad.trace(lecture_f, 2.0, 5.0, seed="x2")
    assert trace.tangent("t5") == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)
    assert s2sad.trace(lecture_f, 2.0, 5.0, seed=1).tangent("t5") == trace.tangent("t5")


def test_seed000_adjoint_trace_shows_both_contributions_to_x2_bar_with_their_formulas():
    trace = s2sad.trace(lecture_f, 2.0, 5.0)
    adjoint = [(row.statement, round(row.value, 3)) for row in rows(trace, "adjoint")]
    first = adjoint.index(("x2_bar = t4_bar * np.cos(x2)", -0.284))
    second = adjoint.index(("x2_bar = x2_bar + t2_bar * x1", 1.716))
    assert first < second
    assert ("x1_bar = t2_bar * x2", 5.0) in adjoint
    assert adjoint[-1] == ("x1_bar = x1_bar + t1_bar / x1", 5.5)
    assert adjoint[0] == ("t5_bar = 1.0", 1.0)  # the lecture's v6_bar = y_bar = 1
    assert trace.adjoint("t4") == -1.0
    dx1, dx2 = s2sad.grad(lecture_f, wrt=(0, 1))(2.0, 5.0)
    assert (trace.adjoint("x1"), trace.adjoint("x2")) == (dx1, dx2)
    assert trace.adjoint("x2") == pytest.approx(numeric_grad(lecture_f, (2.0, 5.0), 1),
                                                rel=1e-7)


def test_integers_given_are_differentiated_unless_they_are_counts():
    as_ints = s2sad.trace(lecture_f, 2, 5)
    assert as_ints.adjoint("x1") == 5.5 and as_ints.inputs == [("x1", 2), ("x2", 5)]
    loop = s2sad.trace(loop_polynomial, 0.7, 3)
    assert [row.target for row in rows(loop, "tangent") if row.kind == "input"] == ["x_dot"]
    assert "n               = 3     (input)" in str(loop)


def test_seed001_neuron_trace_matches_grad():
    trace = s2sad.trace(neuron_loss, 0.5, 1.5, -0.3, 1.0)
    assert sum(row.kind == "assign" for row in rows(trace, "primal")) == 9
    grads = s2sad.grad(neuron_loss, wrt=(0, 2))(0.5, 1.5, -0.3, 1.0)
    assert trace.adjoint("w") == pytest.approx(grads[0], rel=1e-15)
    assert trace.adjoint("b") == pytest.approx(grads[1], rel=1e-15)
    assert trace.value("y") == pytest.approx(1 / (1 + math.exp(-0.45)), rel=1e-12)


def test_loop_rows_carry_their_iteration_and_the_output_is_the_value_returned():
    trace = s2sad.trace(loop_polynomial, 0.7, 3)
    primal = rows(trace, "primal")
    updates = [row for row in primal if row.target == "s_2"]
    assert [row.iteration for row in updates] == [(0,), (1,), (2,)]
    assert [round(row.value, 4) for row in updates] == [1.0, 1.7, 2.19]
    assert primal[-1].kind == "output" and primal[-1].value == loop_polynomial(0.7, 3)
    reverse = [row.iteration for row in rows(trace, "adjoint") if row.target == "x_bar"
               and row.iteration]
    assert reverse == [(2,), (1,), (0,)]  # the reverse sweep undoes iteration 2 first
    assert trace.adjoint("x") == pytest.approx(s2sad.grad(loop_polynomial)(0.7, 3), rel=1e-15)
    assert trace.adjoint("x") == pytest.approx(1.0 + 2 * 0.7, rel=1e-14)
    assert trace.tangent("s_1") == pytest.approx(2.4, rel=1e-14)


def test_max_iterations_collapses_each_loop_to_its_first_iterations():
    trace = s2sad.trace(loop_polynomial, 0.5, 6, max_iterations=2)
    text = str(trace)
    assert text.count("… 4 more iterations") == 3  # primal, tangent and adjoint tables
    assert "[2]" not in text and "[1]" in text and "y = s_1" in text
    assert "[5]" in trace.render("text", max_iterations=None)
    hidden = json.loads(trace.render("json"))["tables"][0]["rows"]
    assert max(row["iteration"] for row in hidden if row["iteration"]) == [5]


def test_nested_loops_tag_rows_with_both_indices():
    trace = s2sad.trace(nested_loops, 0.5, 3)
    tags = {row.iteration for row in rows(trace, "primal") if row.target == "t1"}
    assert tags == {(i, j) for i in range(3) for j in range(2)}
    assert trace.adjoint("x") == pytest.approx(3.0, rel=1e-15)
    assert "[1.1]" in str(trace)


@pytest.mark.parametrize("x, arm, value", [(1.5, "then branch", 9.0), (-1.5, "else branch", 9.0)])
def test_branch_shows_its_condition_the_arm_taken_and_the_values_it_reads(x, arm, value):
    trace = s2sad.trace(scaled_branch, x)
    text = str(trace)
    assert "if t1" in text and arm in text
    primal = rows(trace, "primal")
    assert primal[1].statement == "z = x * 2.0"  # the value the branch reads is in the table
    branch = next(row for row in primal if row.kind == "branch")
    assert branch.value is (x > 0)
    assert trace.output == value
    assert trace.adjoint("x") == pytest.approx(s2sad.grad(scaled_branch)(x), rel=1e-15)


def test_while_loop_with_break_traces_each_iteration():
    trace = s2sad.trace(loop_while_with_break, 1.0)
    branches = [row for row in rows(trace, "primal") if row.kind == "branch"]
    assert [row.value for row in branches][-1] is True
    assert all(row.value is False for row in branches[:-1])
    assert trace.output == loop_while_with_break(1.0)
    assert trace.adjoint("x") == pytest.approx(s2sad.grad(loop_while_with_break)(1.0), rel=1e-15)


@pytest.mark.parametrize("fn, args, words", [
    (divide_by_difference, (1.5, 2.0), "t2 = x / t1"),
    (divide_by_difference, (np.float64(1.5), np.float64(2.0)), "t2 = x / t1"),
    (log_of_difference, (np.ones(2),), "t2 = np.log(t1)"),
])
def test_an_error_while_tracing_is_the_row_where_it_happened(fn, args, words):
    trace = s2sad.trace(fn, *args)
    last = rows(trace, "primal")[-1]
    assert last.kind == "error" and last.formula == words
    assert "divide by zero" in last.value or "division by zero" in last.value
    assert [t.kind for t in trace.tables] == ["primal"]
    assert trace.error.endswith(f"at {words}")
    assert str(trace).splitlines()[-1].startswith(f"  {words}")
    with pytest.raises(KeyError):
        _ = trace.output


def test_arrays_print_as_shape_and_summary_and_adjoints_match_grad():
    trace = s2sad.trace(many_terms, np.arange(3.0), np.ones(3))
    text = str(trace)
    assert "array[3] [0, 1, 2]" in text
    big = s2sad.trace(many_terms, np.linspace(0.0, 1.0, 100), np.ones(100))
    assert "array[100] min 0, mean 0.5, max 1" in str(big)
    np.testing.assert_allclose(big.adjoint("w"), s2sad.grad(many_terms)(np.linspace(0, 1, 100),
                                                                         np.ones(100)))
    assert big.tangent("t3") == pytest.approx(np.sum(1 - np.tanh(np.linspace(0, 1, 100)) ** 2))


def test_tuple_output_propagates_the_given_cotangents():
    trace = s2sad.trace(pair, 2.0, 3.0, cotangent=(1.0, 10.0))
    inputs = [(row.target, row.value) for row in rows(trace, "adjoint") if row.kind == "input"]
    assert [value for _, value in inputs] == [1.0, 10.0]
    assert (trace.adjoint("x"), trace.adjoint("y")) == (1.0 * 3.0 + 10.0, 1.0 * 2.0 + 10.0)
    assert trace.output == (6.0, 5.0)


def test_digits_sets_the_decimals_and_numbers_read_like_the_lecture():
    trace = s2sad.trace(lecture_f, 2.0, 5.0, digits=5)
    assert "= 11.65207" in str(trace) and "= 11.652 " in trace.render("text", digits=3)
    assert [number(v, 3) for v in (5.5, 1.0, 2, -0.0, 1e-5, 12345678.9, math.inf, True)] == [
        "5.5", "1", "2", "0", "1e-05", "1.23e+07", "inf", "True"]
    assert show((1.0, np.eye(2)), 3) == "(1, array[2x2] [[1, 0], [0, 1]])"
    assert show([1.0] * 7, 3) == "list of 7"


def test_markdown_and_html_hold_the_same_cells_as_the_text():
    trace = s2sad.trace(lecture_f, 2.0, 5.0)
    markdown = trace.render("markdown")
    assert "**Reverse adjoint trace of lecture_f**" in markdown
    assert "| `x2_bar = x2_bar + t2_bar * x1` | 1.716 |  |" in markdown
    assert repr(trace) == str(trace)  # the Python prompt shows the tables
    html = trace._repr_html_()
    assert html.count("<table>") == 3 and "<caption>Forward tangent trace of lecture_f" in html
    assert "<td><code>x2_bar = x2_bar + t2_bar * x1</code></td><td>1.716</td>" in html
    loop = s2sad.trace(loop_polynomial, 0.7, 3).render("html")
    assert "<th>iteration</th>" in loop


def test_json_parses_and_round_trips_every_number():
    trace = s2sad.trace(many_terms, np.array([0.1, 0.2]), np.array([3.0, 4.0]))
    document = json.loads(trace.render("json"))
    assert document["function"] == "many_terms" and document["error"] is None
    for table, data in zip(trace.tables, document["tables"]):
        assert [r["statement"] for r in data["rows"]] == [r.statement for r in table.rows]
        for row, item in zip(table.rows, data["rows"]):
            if isinstance(row.value, np.ndarray):
                assert item["value"]["shape"] == list(row.value.shape)
                np.testing.assert_array_equal(np.array(item["value"]["data"]), row.value)
            else:
                assert item["value"] == row.value
    assert document["inputs"]["w"]["data"] == [0.1, 0.2]


def test_bad_options_are_s2sad_errors():
    with pytest.raises(s2sad.S2sadError, match="cannot seed the tangent table with 'n'"):
        s2sad.trace(loop_polynomial, 0.7, 3, seed="n")
    with pytest.raises(s2sad.S2sadError, match="digits"):
        s2sad.trace(lecture_f, 2.0, 5.0, digits=-1)
    with pytest.raises(s2sad.S2sadError, match="max_iterations"):
        s2sad.trace(lecture_f, 2.0, 5.0, max_iterations=0)
    with pytest.raises(s2sad.S2sadError, match="unknown trace format 'latex'"):
        s2sad.trace(lecture_f, 2.0, 5.0).render("latex")


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "s2sad", "trace", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_cli_trace_prints_the_three_tables():
    done = cli("examples/lecture.py:f", "--at", "2,5")
    assert done.returncode == 0, done.stderr
    assert "x2_bar = x2_bar + t2_bar * x1  = 1.716" in done.stdout
    assert "y_dot = t5_dot" in done.stdout and "5.5" in done.stdout


def test_cli_trace_options(tmp_path):
    done = cli("examples/lecture.py:f", "--at", "x1=2,x2=5", "--seed", "x2", "--format", "json")
    assert done.returncode == 0, done.stderr
    tangent = json.loads(done.stdout)["tables"][1]
    assert tangent["rows"][-1]["value"] == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)
    source = tmp_path / "loop.py"
    source.write_text("def f(x, n):\n    s = 0.0\n    for i in range(n):\n"
                      "        s = s * x + 1.0\n    return s\n"
                      "def g(x, y):\n    return x / (y - y)\n")
    done = cli(f"{source}:f", "--at", "0.7,5", "--max-iterations", "1", "--digits", "4")
    assert done.returncode == 0, done.stderr
    assert "… 4 more iterations" in done.stdout and "= 2.7731  (output)" in done.stdout
    done = cli(f"{source}:f", "--at", "0.7,3", "--format", "markdown")
    assert "| iteration | statement | value | note |" in done.stdout
    done = cli(f"{source}:g", "--at", "1,2")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "t2 = x / t1" in done.stdout and "ZeroDivisionError" in done.stdout
    assert "the trace stopped at an error: ZeroDivisionError" in done.stderr


@pytest.mark.parametrize("args, words", [
    (["--at", "2"], "missing a required argument: 'x2'"),
    (["--at", "2,5,6"], "too many positional arguments"),
    (["--at", "2,5", "--seed", "x3"], "cannot seed the tangent table with 'x3'"),
    (["--at", "2,5", "--digits", "-1"], "--digits"),
    (["--at", "2,5", "--max-iterations", "0"], "--max-iterations"),
])
def test_cli_trace_usage_errors_are_one_line(args, words):
    done = cli("examples/lecture.py:f", *args)
    assert done.returncode in (1, 2) and words in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_cli_trace_help_lists_the_options_with_examples():
    done = subprocess.run([sys.executable, "-m", "s2sad", "trace", "--help"], cwd=ROOT,
                          capture_output=True, text=True)
    for words in ("--seed", "--digits", "--max-iterations", "--format",
                  "s2sad trace examples/lecture.py:f --at x1=2,x2=5 --seed x2"):
        assert words in done.stdout


def test_teaching_view_keeps_the_forward_sweep_that_the_default_drops():
    default = s2sad.source(lecture_f, wrt=(0, 1))
    teaching = s2sad.source(lecture_f, wrt=(0, 1), teaching=True)
    for line in ("t1 = np.log(x1)", "t4 = np.sin(x2)", "t5 = t3 - t4", "# reverse sweep",
                 "x2_bar = x2_bar + t2_bar * x1", "x1_bar = x1_bar + safe_div(t1_bar, x1)"):
        assert line in teaching
    assert "np.log(x1)" not in default and "np.sin(x2)" not in default
    namespace = {}
    from s2sad.loading.loader import base_namespace

    namespace.update(base_namespace())
    exec(teaching, namespace)  # still code: it runs and gives the gradient
    assert namespace["lecture_f_grad"](2.0, 5.0) == s2sad.grad(lecture_f, wrt=(0, 1))(2.0, 5.0)
    assert s2sad.differentiate(lecture_f).source(wrt=(0, 1), teaching=True) == teaching
    forward = s2sad.source(lecture_f, mode="forward", teaching=True)
    assert "t2_dot = x1_dot * x2" in forward and "t7" not in forward


def test_cli_show_teaching_prints_both_sweeps():
    done = subprocess.run([sys.executable, "-m", "s2sad", "show", "examples/lecture.py:f",
                           "--wrt", "x1,x2", "--teaching"], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "# forward sweep\n    t1 = np.log(x1)" in done.stdout
    assert "    x2_bar = x2_bar + t2_bar * x1\n" in done.stdout


def power(x, n):
    if n <= 0:
        return 1.0
    return x * power(x, n - 1)


def dense_loss(params, x):
    return np.sum(np.tanh(params["W"] @ x + params["b"]))


def test_a_recursive_call_is_one_row_with_its_value():
    trace = s2sad.trace(power, 2.0, 3)
    primal = rows(trace, "primal")
    assert [row.statement for row in primal if row.kind == "assign"][2] == "t3 = power(x, t2)"
    assert trace.output == 8.0 and sum(row.kind == "branch" for row in primal) == 1
    assert trace.tangent("result_2") == 12.0 == trace.adjoint("x")
    assert s2sad.grad(power)(2.0, 3) == 12.0


def test_a_dict_argument_prints_its_items_and_its_arrays_are_read():
    params = {"W": np.ones((2, 3)), "b": np.zeros(2)}
    trace = s2sad.trace(dense_loss, params, np.ones(3))
    assert "params            = {'W': array[2x3] [[1, 1, 1], [1, 1, 1]], 'b': array[2] [0, 0]}" \
        in str(trace)
    np.testing.assert_allclose(trace.adjoint("x"),
                               s2sad.grad(dense_loss, wrt=1)(params, np.ones(3)), rtol=1e-15)
    assert json.loads(trace.render("json"))["inputs"]["params"]["b"]["shape"] == [2]


@pytest.mark.parametrize("fn, points, wrt", CORPUS, ids=[entry[0].__name__ for entry in CORPUS])
def test_trace_of_every_control_flow_program_agrees_with_the_function_and_grad(fn, points, wrt):
    point = points[-1]
    trace = s2sad.trace(fn, *point)
    assert trace.error is None
    np.testing.assert_allclose(np.asarray(trace.output, dtype=float),
                               np.asarray(fn(*point), dtype=float), rtol=1e-13)
    if np.ndim(trace.output) == 0:
        for w in wrt:
            np.testing.assert_allclose(trace.adjoint(trace.inputs[w][0]),
                                       s2sad.grad(fn, wrt=w)(*point), rtol=1e-13, atol=1e-15)


def test_collapsed_loops_in_markdown_and_html():
    trace = s2sad.trace(loop_polynomial, 0.5, 4, max_iterations=1)
    assert "|  | … 3 more iterations |  |  |" in trace.render("markdown")
    assert "<td></td><td>… 3 more iterations</td>" in trace.render("html")


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_trace_of_random_programs_agrees_with_the_function_and_grad(data):
    program = data.draw(programs("scalar"), label="program")
    args = data.draw(arguments(program), label="arguments")
    loaded = Loaded(program)
    try:
        floats = [i for i, a in enumerate(args) if np.asarray(a).dtype == float]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = loaded.fn(*private_copy(args))
                grads = [s2sad.grad(loaded.fn, wrt=i)(*private_copy(args)) for i in floats]
            except Exception:  # noqa: BLE001 - refused or failing programs are not traced
                reject()
            trace = s2sad.trace(loaded.fn, *args)
        if trace.error is not None:  # a NumPy division by zero stops the primal trace
            assert "divide by zero" in trace.error or "invalid value" in trace.error
            reject()
        np.testing.assert_allclose(trace.output, value, rtol=1e-10)
        for i, grad in zip(floats, grads):
            np.testing.assert_allclose(trace.adjoint(trace.inputs[i][0]), grad, rtol=1e-9,
                                       atol=1e-12)
        for format in ("text", "markdown", "html", "json"):
            assert trace.render(format)
    finally:
        loaded.close()
