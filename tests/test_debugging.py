"""Tracebacks and stepping in generated code (issue 14): a failure inside a gradient or a
tangent program names the generated line and the user's line it comes from; ``debug=True``
stops pdb at the first generated line."""

import ast
import inspect
import linecache
import os
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import debugging_functions
import numpy as np
import pytest
from debugging_functions import asserts_in_a_loop, branches_and_loops, inverts_in_a_loop

import s2sad
from s2sad.backends.emit import source_and_lines
from s2sad.transform import derive, lower, parse_function, resolve_wrt

REPO = Path(__file__).resolve().parent.parent
SOURCE = debugging_functions.__file__
HERE = os.path.basename(SOURCE)
NOTES = sys.version_info >= (3, 11)  # exception notes (add_note); 3.10 has the traceback only


def _line_of(function, text: str) -> int:
    """The line in its file of `function` whose text contains `text`."""
    lines, first = inspect.getsourcelines(function)
    return first + next(k for k, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("mode", ["grad", "vjp", "jvp"])
@pytest.mark.parametrize("function", [inverts_in_a_loop, asserts_in_a_loop, branches_and_loops])
def test_every_located_line_of_generated_code_maps_to_a_line_of_the_function(function, mode):
    parsed = parse_function(function)
    ir = derive(lower(parsed), mode, resolve_wrt(parsed, 0))
    text, lines = source_and_lines(ir)
    flat = lines["map"]
    assert flat and lines["files"] == [SOURCE]
    generated = text.splitlines()
    source, first = inspect.getsourcelines(function)
    for k in range(0, len(flat), 3):
        row, line = flat[k], flat[k + 2]
        code = generated[row - 1].strip()
        assert code and not code.startswith("#")
        assert first < line < first + len(source)
    # Every line that computes something (an assignment of an op) has a place, but the
    # adjoints' zero initial values, which come from no line of the function.
    mapped = {flat[k] for k in range(0, len(flat), 3)}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.BinOp, ast.Call)) and (
                not any(mark in generated[node.lineno - 1] for mark in _BOOKKEEPING)):
            assert node.lineno in mapped, generated[node.lineno - 1]


# Lines of the derivative's own: adjoints' zero initial values, values popped from the tape,
# trip counts. They come from no line of the function.
_BOOKKEEPING = ("zeros_like(", "_stack", "_trips")


def _failure(call):
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


CALLS = {
    "grad": lambda f, x, n: s2sad.grad(f)(x, n),
    "value_and_grad": lambda f, x, n: s2sad.value_and_grad(f)(x, n),
    "jvp": lambda f, x, n: s2sad.jvp(f, (x, n), (np.ones_like(x), 0)),
}


@pytest.mark.parametrize("how", list(CALLS))
def test_a_singular_matrix_in_a_loop_names_the_generated_and_the_user_line(how):
    error = _failure(lambda: CALLS[how](inverts_in_a_loop, np.ones((2, 2)), 3))
    assert isinstance(error, np.linalg.LinAlgError)
    user_line = _line_of(inverts_in_a_loop, "np.linalg.inv(a + i)")
    printed = "".join(traceback.format_exception(error))
    # The traceback shows the generated line, with the user's line it comes from.
    assert f"b = np.linalg.inv(t1)  # {HERE}:{user_line}" in printed
    if NOTES:
        (note,) = [n for n in error.__notes__ if n.startswith("s2sad:")]
        assert "<s2sad inverts_in_a_loop_" in note and "b = np.linalg.inv(t1)" in note
        assert f"{SOURCE}:{user_line}: b = np.linalg.inv(a + i)" in note


@pytest.mark.parametrize("how", list(CALLS))
def test_a_failed_assert_in_a_loop_names_the_generated_and_the_user_line(how):
    error = _failure(lambda: CALLS[how](asserts_in_a_loop, 2.0, 6))
    assert isinstance(error, AssertionError) and "s grew past 10" in str(error)
    user_line = _line_of(asserts_in_a_loop, "assert s < 10.0")
    printed = "".join(traceback.format_exception(error))
    assert f"# {HERE}:{user_line}" in printed
    if NOTES:
        (note,) = [n for n in error.__notes__ if n.startswith("s2sad:")]
        assert f"{HERE}:{user_line}: assert s < 10.0" in note
        assert "assert " in note.splitlines()[0]


def test_the_note_is_added_once_and_the_gradient_still_works():
    gradient = s2sad.grad(asserts_in_a_loop)
    for _ in range(2):
        error = _failure(lambda: gradient(2.0, 6))
        if NOTES:
            assert len([n for n in error.__notes__ if n.startswith("s2sad:")]) == 1
    # 0.1 * (0 + 1 + 2) * 2 * x at x = 0.1 (n = 3): d/dx (3 x^2) = 6 x
    assert gradient(0.1, 3) == pytest.approx(0.6, rel=1e-12)


def test_pdb_lists_generated_lines_with_their_user_lines():
    gradient = s2sad.grad(inverts_in_a_loop)
    gradient(np.eye(2), 2)
    code = gradient.__s2sad_built__.function.__code__
    shown = linecache.getlines(code.co_filename)
    user_line = _line_of(inverts_in_a_loop, "np.linalg.inv(a + i)")
    assert any(line.rstrip().endswith(f"# {HERE}:{user_line}") for line in shown)


def _pdb_session(commands: str, body: str, tmp_path):
    script = textwrap.dedent(f"""\
        import numpy as np
        import s2sad
        from debugging_functions import inverts_in_a_loop

        def lecture(x1, x2):
            return np.log(x1) + x1 * x2 - np.sin(x2)

        {body}
        """)
    path = tmp_path / "session.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    return subprocess.run([sys.executable, str(path)], input=commands, capture_output=True,
                          text=True, timeout=120, env=env)


def test_debug_true_stops_at_the_first_generated_line(tmp_path):
    done = _pdb_session("n\np t5_bar\nn\np t4_bar\nc\n",
                        "print('result', s2sad.grad(lecture, wrt=(0, 1), debug=True)(2.0, 5.0))",
                        tmp_path)
    assert done.returncode == 0, done.stderr
    first_stop = done.stdout.split("(Pdb)")[0]
    source = s2sad.source(lambda x1, x2: np.log(x1) + x1 * x2 - np.sin(x2), wrt=(0, 1))
    first_line = next(line.strip() for line in source.splitlines()[1:]
                      if not line.strip().startswith("#"))
    assert "<s2sad lecture_grad " in first_stop and f"-> {first_line}" in first_stop
    after = done.stdout.split("(Pdb)")
    assert after[2].strip() == "1.0"  # p t5_bar: the seed of the output's adjoint
    assert after[4].strip() == "-1.0"  # p t4_bar, one step later
    assert "result (5.5, " in done.stdout  # `c` finishes the call: the lecture's numbers


def test_debug_true_with_arrays_and_value_and_grad(tmp_path):
    done = _pdb_session("c\n", "print('result', s2sad.value_and_grad(inverts_in_a_loop, "
                        "debug=True)(np.eye(2), 2))", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "<s2sad inverts_in_a_loop_vjp " in done.stdout.split("(Pdb)")[0]
    assert "result (" in done.stdout


# ------------------------------------------------------------- notebooks, the REPL, exec
CELL = "def cell_function(x):\n    return np.sin(x) * x\n"


def _exec_as(filename: str, register: bool):
    """`CELL`'s function compiled under `filename`, its text registered with linecache
    (what IPython and Jupyter do with every cell) or not (the plain prompt, exec)."""
    if register:
        linecache.cache[filename] = (len(CELL), None, CELL.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(CELL, filename, "exec"), namespace)  # noqa: S102
    return namespace["cell_function"]


@pytest.mark.parametrize("filename", ["<ipython-input-3-0123456789ab>",
                                      "/tmp/ipykernel_4242/2840188171.py"])
def test_functions_of_notebook_cells_are_differentiated(filename):
    try:
        f = _exec_as(filename, register=True)
        assert s2sad.grad(f)(0.7) == pytest.approx(np.cos(0.7) * 0.7 + np.sin(0.7), rel=1e-12)
        assert "def cell_function_grad(x):" in s2sad.source(f)
    finally:
        linecache.cache.pop(filename, None)


@pytest.mark.parametrize("filename", ["<stdin>", "<string>"])
def test_the_plain_prompt_and_exec_say_where_to_put_the_function(filename):
    f = _exec_as(filename, register=False)
    with pytest.raises(s2sad.NoSourceError) as caught:
        s2sad.grad(f)
    message = str(caught.value)
    assert f"defined in {filename}" in message and "cell_function" in message
    assert "put the function in a .py file" in message and "Jupyter" in message


@pytest.mark.parametrize("how", ["hvp", "containers"])
def test_other_entry_points_name_the_user_line_too(how):
    a = np.ones((2, 2))
    calls = {
        "hvp": lambda: s2sad.hvp(inverts_in_a_loop, a, np.eye(2), 3),
        "containers": lambda: s2sad.grad(debugging_functions.inverts_from_a_dict)({"a": a}, 3),
    }
    error = _failure(calls[how])
    assert isinstance(error, np.linalg.LinAlgError)
    user_line = _line_of(inverts_in_a_loop, "np.linalg.inv(a + i)")
    assert f"# {HERE}:{user_line}" in "".join(traceback.format_exception(error))
    if NOTES:
        assert any(f"{SOURCE}:{user_line}" in note for note in error.__notes__)


def test_debug_with_a_compiled_backend_is_refused():
    def square(x):
        return x * x

    for make in (s2sad.grad, s2sad.value_and_grad):
        with pytest.raises(s2sad.S2sadError, match="debug=True steps through NumPy code"):
            make(square, debug=True, backend="numba")
