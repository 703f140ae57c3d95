"""``--backend NAME`` on the verbs that build derivative code (``show``, ``check``, ``emit``),
run in-process through ``s2sad.cli.main``: the code is written (and run) for the backend
asked; an unknown name is s2sad's error, one line and a hint, exit status 1, no traceback;
``emit`` refuses a backend whose code cannot stand alone."""

import sys
import textwrap

import pytest

from s2sad.cli import main

pytest.importorskip("numba")

LOOPS = textwrap.dedent("""\
    import numpy as np


    def clipped(x, n):
        s = 0.0
        for i in range(n):
            if s < 1.0:
                s = s + x * x
            else:
                s = s * x
        return s


    def ramp(x):
        return np.where(x > 0.0, x * x, 0.0)
""")


@pytest.fixture
def loops(tmp_path):
    """A module of the test's own; the CLI's import of it is forgotten afterwards."""
    path = tmp_path / "cli_backend_loops.py"
    path.write_text(LOOPS)
    before = set(sys.modules)
    yield str(path)
    for name in set(sys.modules) - before:
        if name.startswith("_s2sad_cli_"):
            del sys.modules[name]


def cli(capsys, *args):
    """``(exit status, stdout, stderr)`` of ``s2sad ARGS``."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error(status, out, err, *expected):
    assert status == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("s2sad: S2sadError: ")
    assert sum(line.startswith("s2sad") for line in err.splitlines()) == 1, err
    for text in expected:
        assert text in err, err


def test_show_prints_the_code_of_the_backend_asked(loops, capsys):
    status, numba_code, err = cli(capsys, "show", f"{loops}:clipped", "--backend", "numba")
    assert status == 0 and err == ""
    assert "_stack_s.append(s)" in numba_code and "range(n - 1, -1, -1)" in numba_code
    status, numpy_code, _ = cli(capsys, "show", f"{loops}:clipped")
    assert status == 0
    assert "reversed(" in numpy_code and "_stack_s" not in numpy_code
    status, same, _ = cli(capsys, "show", f"{loops}:clipped", "--backend", "numpy")
    assert status == 0 and same == numpy_code


def test_show_refuses_what_the_backend_cannot_compile(loops, capsys):
    status, out, err = cli(capsys, "show", f"{loops}:ramp", "--backend", "numba")
    assert_one_error(status, out, err, "the numba backend cannot compile a call of np.where",
                     "backend='numpy'")


@pytest.mark.parametrize("verb", [["show"], ["emit"], ["check", "--at", "0.9,3"]])
def test_an_unknown_backend_is_one_error_listing_the_known_ones(verb, loops, capsys):
    status, out, err = cli(capsys, verb[0], f"{loops}:clipped", *verb[1:], "--backend", "nope")
    assert_one_error(status, out, err, "unknown backend 'nope'", "numba", "numpy")


def test_an_unknown_backend_is_refused_before_the_file_is_read(tmp_path, capsys):
    missing = tmp_path / "no_such_file.py"
    status, out, err = cli(capsys, "show", f"{missing}:f", "--backend", "nope")
    assert_one_error(status, out, err, "unknown backend 'nope'")


def test_check_runs_the_derivatives_of_the_backend_asked(loops, capsys):
    status, out, err = cli(capsys, "check", f"{loops}:clipped", "--at", "0.9,12",
                           "--backend", "numba")
    assert status == 0, err
    assert "ok: worst relative error" in out
    # the backend is the one checked: numba refuses np.where, NumPy's code runs it
    status, out, err = cli(capsys, "check", f"{loops}:ramp", "--at", "0.5",
                           "--backend", "numba")
    assert_one_error(status, out, err, "the numba backend cannot compile a call of np.where")
    status, out, _ = cli(capsys, "check", f"{loops}:ramp", "--at", "0.5")
    assert status == 0 and "ok:" in out


def test_emit_writes_numpy_modules_only(loops, capsys):
    status, out, err = cli(capsys, "emit", f"{loops}:clipped", "--backend", "numba")
    assert_one_error(status, out, err, "s2sad emit writes modules for the numpy backend only",
                     "s2sad show --backend numba")
    status, module, err = cli(capsys, "emit", f"{loops}:clipped", "--backend", "numpy")
    assert status == 0 and err == ""
    assert "def clipped_grad(" in module


@pytest.mark.parametrize("verb", ["show", "check", "emit"])
def test_help_lists_the_backend_option(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--backend NAME" in text
    assert "numba, numpy (default numpy)" in " ".join(text.split())
