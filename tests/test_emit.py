"""``s2sad.emit`` / ``s2sad emit``: a derivative as a standalone module that needs NumPy alone.

Every emitted module is imported in a subprocess whose path holds NumPy and nothing else (no
site-packages, ``import s2sad`` fails there), and its numbers are compared with s2sad's own
derivatives (and with the lecture's, seed 000) to 1e-12.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad import runtime
from s2sad.backends.standalone import Definitions, value_text

REPO = Path(__file__).resolve().parent.parent

SCALE = 2.0
WEIGHTS = np.array([1.0, -2.0, 0.5])


def lecture(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def horner(x, n):
    s = 0.0
    for _ in range(n):
        s = s * x + 1.0
    return s


def branch(x):
    if x > 1.0:
        z = x * x
    else:
        z = np.sin(x)
    return z * SCALE


def many_helpers(x, b, idx):
    y = x[idx] * b                       # gather with a repeated index: scatter-add back
    z = np.sum(y * WEIGHTS, axis=0)      # broadcasting against a global array, axis sum
    m = np.mean(x[1:, :] ** 2)
    return np.sum(np.tanh(z)) + m + np.max(x, axis=1).sum()


def solve_loop(a, v):
    for _ in range(2):
        v = np.linalg.solve(a, v) + 0.1 * v
    return v @ v


def make_scaled(c):
    def scaled(x):
        return np.sum(np.exp(c * x))
    return scaled


class Knobs:
    scale = 3.0


KNOBS = Knobs()


def reads_an_object(x):
    return x * KNOBS.scale


@pytest.fixture(scope="module")
def numpy_only(tmp_path_factory):
    """A folder whose only entry is NumPy (a link to the installed package)."""
    folder = tmp_path_factory.mktemp("numpy_only")
    package = Path(np.__file__).resolve().parent
    (folder / "numpy").symlink_to(package, target_is_directory=True)
    libs = package.parent / "numpy.libs"
    if libs.exists():
        (folder / "numpy.libs").symlink_to(libs, target_is_directory=True)
    return folder


def run_standalone(folder, module_text: str, call: str, tmp_path, name="emitted"):
    """Run `call` (Python text over the emitted module `m`) with `module_text` saved as a
    module, in an interpreter that sees NumPy and the module only; its result as lists."""
    (tmp_path / f"{name}.py").write_text(module_text)
    driver = textwrap.dedent(f"""\
        import json, sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(folder)!r}]
        try:
            import s2sad
        except ImportError:
            pass
        else:
            raise SystemExit("s2sad is importable here")
        import numpy as np
        import {name} as m
        result = {call}
        items = result if isinstance(result, tuple) else (result,)
        print(json.dumps([np.asarray(r).tolist() for r in items]))
        """)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", driver], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return [np.asarray(r) for r in json.loads(done.stdout)]


def close(got, want):
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_lecture_gradient_runs_without_s2sad_and_gives_the_lecture_numbers(numpy_only,
                                                                            tmp_path):
    text = s2sad.emit(lecture, wrt=(0, 1))
    got = run_standalone(numpy_only, text, "(m.lecture(2.0, 5.0), *m.lecture_grad(2.0, 5.0))",
                         tmp_path)
    close(got, (lecture(2.0, 5.0), *s2sad.grad(lecture, wrt=(0, 1))(2.0, 5.0)))
    assert round(float(got[0]), 3) == 11.652  # seed 000: y, x1 adjoint, x2 adjoint
    assert float(got[1]) == pytest.approx(5.5, abs=1e-12)
    assert round(float(got[2]), 3) == 1.716


def test_header_says_what_the_module_was_generated_from():
    text = s2sad.emit(lecture, wrt=("x1", "x2"), command="s2sad emit t.py:lecture")
    header = text.split("\n\n")[0]
    assert f"s2sad {s2sad.__version__}" in header
    assert "test_emit.py, function lecture" in header
    assert "mode: reverse" in header and "wrt: x1, x2" in header
    assert "command: s2sad emit t.py:lecture" in header
    assert "lecture_grad(x1, x2)" in header
    assert "import s2sad" not in text and "from s2sad" not in text


@pytest.mark.parametrize("x", [0.7, 1.3])
def test_loop_and_branch(numpy_only, tmp_path, x):
    loop = s2sad.emit(horner)
    got = run_standalone(numpy_only, loop, f"m.horner_grad({x}, 4)", tmp_path, "loop")
    close(got, s2sad.grad(horner)(x, 4))
    got = run_standalone(numpy_only, s2sad.emit(branch), f"m.branch_grad({x})", tmp_path,
                         "branch")
    close(got, s2sad.grad(branch)(x))
    assert "SCALE = 2.0" in s2sad.emit(branch)


def _many_args():
    rng = np.random.default_rng(3)
    return rng.normal(size=(3, 3)), rng.normal(size=(4, 1)), [0, 2, 0, 1]


def test_broadcasting_indexing_and_reductions_in_every_mode(numpy_only, tmp_path):
    x, b, idx = _many_args()
    call = f"np.array({x.tolist()!r}), np.array({b.tolist()!r}), {idx!r}"
    text = s2sad.emit(many_helpers, wrt=(0, 1))
    for helper in ("scatter_add", "unbroadcast", "broadcast_reduced", "extremum_weights"):
        assert f"def {helper}(" in text
    got = run_standalone(numpy_only, text, f"m.many_helpers_grad({call})", tmp_path, "rev")
    close(got, s2sad.grad(many_helpers, wrt=(0, 1))(x, b, idx))

    vjp_text = s2sad.emit(many_helpers, mode="vjp")
    got = run_standalone(numpy_only, vjp_text, f"m.many_helpers_vjp({call}, 0.5)", tmp_path,
                         "vjp")
    value, pullback = s2sad.vjp(many_helpers, x, b, idx, wrt=0)
    close(got, (value, pullback(0.5)))

    dx = np.linspace(-1.0, 1.0, 9).reshape(3, 3)
    jvp_text = s2sad.emit(many_helpers, mode="forward")
    got = run_standalone(numpy_only, jvp_text,
                         f"m.many_helpers_jvp({call}, np.array({dx.tolist()!r}))", tmp_path,
                         "fwd")
    close(got, s2sad.jvp(lambda w: many_helpers(w, b, idx), (x,), (dx,)))


def test_linear_solves_in_a_loop_forward_and_reverse(numpy_only, tmp_path):
    a = np.array([[3.0, 1.0], [0.5, 2.0]])
    v = np.array([1.0, -2.0])
    call = f"np.array({a.tolist()!r}), np.array({v.tolist()!r})"
    got = run_standalone(numpy_only, s2sad.emit(solve_loop, wrt=(0, 1)),
                         f"m.solve_loop_grad({call})", tmp_path, "solve")
    close(got, s2sad.grad(solve_loop, wrt=(0, 1))(a, v))
    got = run_standalone(numpy_only, s2sad.emit(solve_loop, mode="forward", wrt=1),
                         f"m.solve_loop_jvp({call}, np.array([0.3, 0.7]))", tmp_path, "fsolve")
    close(got, s2sad.jvp(lambda w: solve_loop(a, w), (v,), (np.array([0.3, 0.7]),)))


def test_a_closure_value_is_written_as_a_literal(numpy_only, tmp_path):
    scaled = make_scaled(0.25)
    text = s2sad.emit(scaled)
    assert "c = 0.25" in text
    got = run_standalone(numpy_only, text, "m.scaled_grad(np.array([1.0, 2.0]))", tmp_path)
    close(got, s2sad.grad(scaled)(np.array([1.0, 2.0])))


def test_an_object_that_cannot_be_written_down_is_refused():
    with pytest.raises(s2sad.S2sadError) as caught:
        s2sad.emit(reads_an_object)
    message = str(caught.value)
    assert "KNOBS" in message and "Knobs" in message
    assert "test_emit.py" in message and "hint:" in message


def test_a_user_primitive_is_copied_by_its_source(numpy_only, tmp_path):
    from emit_primitives import softplus, uses_softplus

    from s2sad.rules import REGISTRY

    s2sad.defvjp(softplus, x="g / (1.0 + np.exp(-x))")
    text = s2sad.emit(uses_softplus)
    # Its name in generated code: softplus, or softplus_2 if a primitive of that name exists
    spelling = REGISTRY.lookup(softplus).spelling
    assert f"def {spelling}(" in text and f"= {spelling}(x)" in text
    got = run_standalone(numpy_only, text, "m.uses_softplus_grad(np.array([0.5, -1.0]))",
                         tmp_path, "prim")
    close(got, s2sad.grad(uses_softplus)(np.array([0.5, -1.0])))


def test_unknown_mode_is_refused():
    with pytest.raises(s2sad.S2sadError, match="unknown mode"):
        s2sad.emit(lecture, mode="sideways")


def test_output_is_deterministic():
    first = s2sad.emit(many_helpers, mode="vjp")
    s2sad.clear_cache()
    assert s2sad.emit(many_helpers, mode="vjp") == first
    # In other processes, whatever their hash seed (no set or dict order leaks in); from the
    # same folder, as the header names the file relative to it.
    script = "import s2sad, test_emit; print(s2sad.emit(test_emit.many_helpers, mode='vjp'))"
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=120, cwd=os.getcwd(),
                              env={**os.environ, "PYTHONHASHSEED": seed, "S2SAD_CACHE": "0",
                                   "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])})
        assert done.returncode == 0, done.stderr
        assert done.stdout == first + "\n"


def test_every_runtime_helper_can_be_written_into_a_module(numpy_only, tmp_path):
    """Each helper's source, with what it reads, defines it in a NumPy-only interpreter."""
    definitions = Definitions()
    definitions.reserve(runtime.HELPERS)
    for name in sorted(runtime.HELPERS):
        definitions.add(name, runtime.HELPERS[name])
    text = "from __future__ import annotations\n\n" + definitions.text()
    names = sorted(runtime.HELPERS)
    got = run_standalone(numpy_only, text, f"tuple(callable(getattr(m, n)) for n in {names!r})",
                         tmp_path, "helpers")
    assert all(bool(g) for g in got) and len(got) == len(names)


def test_the_command_line_writes_the_module(numpy_only, tmp_path):
    out = tmp_path / "grad_f.py"
    command = [sys.executable, "-m", "s2sad", "emit", "examples/lecture.py:f", "--wrt",
               "x1,x2", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    text = out.read_text()
    assert f"#   command: s2sad emit examples/lecture.py:f --mode reverse --wrt x1,x2 --out {out}" \
        in text
    got = run_standalone(numpy_only, text, "m.f_grad(2.0, 5.0)", tmp_path, "grad_f")
    assert float(got[0]) == pytest.approx(5.5, abs=1e-12) and round(float(got[1]), 3) == 1.716


def test_the_command_line_prints_the_module_and_refuses_clearly(tmp_path):
    source = tmp_path / "objs.py"
    source.write_text("class K:\n    a = 2.0\n\nk = K()\n\ndef f(x):\n    return x * k.a\n")
    done = subprocess.run([sys.executable, "-m", "s2sad", "emit", "examples/lecture.py:f",
                           "--mode", "forward"], capture_output=True, text=True, cwd=REPO,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "def f_jvp(" in done.stdout and done.stdout.startswith("# Generated by s2sad")
    done = subprocess.run([sys.executable, "-m", "s2sad", "emit", f"{source}:f"],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    assert "cannot emit a standalone module" in done.stderr and "Traceback" not in done.stderr


def test_the_command_line_refuses_a_folder_that_does_not_exist(tmp_path):
    out = tmp_path / "missing" / "grad_f.py"
    done = subprocess.run([sys.executable, "-m", "s2sad", "emit", "examples/lecture.py:f",
                           "--out", str(out)], capture_output=True, text=True, cwd=REPO,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2 and "no such folder" in done.stderr
    assert not out.exists() and "Traceback" not in done.stderr


@pytest.mark.parametrize("value", [
    2.5, -3, True, None, "text", 1 + 2j, float("inf"), (1, 2.0, "a"), (4,), [1.5, [2, 3]],
    {"a": 1.0, "b": (2, 3)}, frozenset({3, 1}), np.float32(1.5), np.int64(7),
    np.dtype("float32"), np.array([[1.0, -2.5], [3.25, 4.0]]), np.array(2.5),
    np.array([1, 2], dtype=np.int32), np.array([1.0, np.nan, -np.inf]), np.array([True]),
])
def test_values_are_written_as_literals_that_give_them_back(value):
    text = value_text(value)
    back = eval(text, {"np": np})  # noqa: S307 - the text under test
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value or (back != back and value != value)


@pytest.mark.parametrize("value", [object(), np.array([1 + 1j]), np.zeros(200_000), {1, 2}])
def test_values_without_an_exact_literal_are_refused(value):
    assert value_text(value) is None
