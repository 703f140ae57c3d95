"""The command line: ``s2sad show FILE.py:FUNC`` / ``package.module:FUNC``, run as
``python -m s2sad`` and as the installed ``s2sad`` console script, in a subprocess."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LECTURE = "examples/lecture.py:f"
SCRIPT = Path(sys.executable).parent / ("s2sad.exe" if os.name == "nt" else "s2sad")


def run(*args, runner="module", env_extra=None, cwd=REPO):
    env = dict(os.environ)
    env.update(env_extra or {})
    if runner == "module":
        command = [sys.executable, "-m", "s2sad", *args]
    else:
        if not SCRIPT.exists():
            pytest.skip(f"no s2sad console script next to {sys.executable}")
        command = [str(SCRIPT), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)


RUNNERS = pytest.mark.parametrize("runner", ["module", "script"])


def assert_clean_error(done, *expected, status=None):
    """One message on stderr, no traceback, nothing on stdout, a non-zero exit status (1 when
    s2sad cannot differentiate the function, 2 for usage errors, as docs/guide.md says)."""
    assert done.returncode != 0
    assert status is None or done.returncode == status, (done.returncode, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("s2sad"), done.stderr
    assert sum(line.startswith("s2sad") for line in done.stderr.splitlines()) == 1, done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


# --------------------------------------------------------------------------------- show
@RUNNERS
def test_show_prints_the_gradient_function(runner):
    done = run("show", LECTURE, runner=runner)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "def f_grad(" in done.stdout
    assert "x1_bar" in done.stdout


def test_show_prints_code_that_runs_and_gives_the_gradient():
    from s2sad.loading.loader import base_namespace

    done = run("show", LECTURE, "--wrt", "x1,x2")
    namespace = dict(base_namespace())
    exec(compile(done.stdout, "<cli output>", "exec"), namespace)  # noqa: S102
    dx1, dx2 = namespace["f_grad"](2.0, 5.0)
    assert dx1 == pytest.approx(5.5, rel=1e-14)
    assert dx2 == pytest.approx(2.0 - __import__("math").cos(5.0), rel=1e-14)


@RUNNERS
def test_show_wrt_two_names_returns_both_adjoints(runner):
    done = run("show", LECTURE, "--wrt", "x1,x2", runner=runner)
    assert done.returncode == 0, done.stderr
    assert "return (x1_bar, x2_bar)" in done.stdout


def test_show_wrt_positions_equals_wrt_names():
    by_name = run("show", LECTURE, "--wrt", "x1,x2")
    by_position = run("show", LECTURE, "--wrt", "0,1")
    assert by_name.returncode == by_position.returncode == 0
    assert by_name.stdout == by_position.stdout


def test_show_wrt_second_parameter_only():
    done = run("show", LECTURE, "--wrt", "x2")
    assert done.returncode == 0, done.stderr
    assert "x2_bar" in done.stdout
    assert "return x2_bar" in done.stdout


def test_show_ssa_prints_the_ssa_trace():
    done = run("show", LECTURE, "--ssa")
    assert done.returncode == 0, done.stderr
    assert "def f(x1, x2):" in done.stdout
    assert "t1 = np.log(x1)" in done.stdout
    assert "_bar" not in done.stdout


def test_show_ssa_ignores_mode_and_wrt():
    plain = run("show", LECTURE, "--ssa")
    combined = run("show", LECTURE, "--ssa", "--mode", "vjp", "--wrt", "x2")
    assert plain.returncode == combined.returncode == 0
    assert combined.stdout == plain.stdout


def test_show_no_optimize_prints_more_lines_than_the_optimized_code():
    optimized = run("show", LECTURE, "--wrt", "x1,x2")
    unoptimized = run("show", LECTURE, "--wrt", "x1,x2", "--no-optimize")
    assert optimized.returncode == unoptimized.returncode == 0
    assert "def f_grad(" in unoptimized.stdout
    assert len(unoptimized.stdout.splitlines()) > len(optimized.stdout.splitlines())


@RUNNERS
def test_show_mode_vjp_prints_the_vjp_function(runner):
    done = run("show", LECTURE, "--mode", "vjp", runner=runner)
    assert done.returncode == 0, done.stderr
    assert "def f_vjp(" in done.stdout


def test_show_matches_the_python_api():
    import importlib.util

    import s2sad

    spec = importlib.util.spec_from_file_location("_s2sad_test_cli_lecture",
                                                  REPO / "examples" / "lecture.py")
    lecture = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lecture)
    for flags, options in ((["--wrt", "x1,x2"], {"wrt": (0, 1)}),
                           (["--ssa"], {"ssa": True}),
                           (["--mode", "vjp"], {"mode": "vjp"}),
                           (["--no-optimize"], {"optimize": False})):
        done = run("show", LECTURE, *flags)
        assert done.stdout == s2sad.source(lecture.f, **options), flags


@RUNNERS
def test_show_package_module_function_address(tmp_path, runner):
    package = tmp_path / "cli_pkg_for_tests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text(
        "import numpy as np\n\n\n"
        "def loss(w, x):\n"
        "    return np.sum((x * w - 1.0) ** 2)\n"
    )
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path),
                                                       os.environ.get("PYTHONPATH")]))}
    done = run("show", "cli_pkg_for_tests.model:loss", runner=runner, env_extra=env)
    assert done.returncode == 0, done.stderr
    assert "def loss_grad(" in done.stdout
    assert "w_bar" in done.stdout
    done = run("show", "cli_pkg_for_tests.model:loss", "--mode", "vjp", "--wrt", "w,x",
               runner=runner, env_extra=env)
    assert done.returncode == 0, done.stderr
    assert "def loss_vjp(" in done.stdout
    assert "x_bar" in done.stdout


def test_show_works_from_another_directory(tmp_path):
    done = run("show", str(REPO / LECTURE), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "def f_grad(" in done.stdout


# --------------------------------------------------------------------------------- help
@RUNNERS
def test_help_mentions_examples(runner):
    done = run("--help", runner=runner)
    assert done.returncode == 0
    assert "examples:" in done.stdout
    assert "s2sad show examples/lecture.py:f" in done.stdout
    assert "--wrt" in done.stdout and "--ssa" in done.stdout


def test_show_help_lists_the_options_and_examples():
    done = run("show", "--help")
    assert done.returncode == 0
    for option in ("--wrt", "--ssa", "--mode", "--no-optimize", "examples:"):
        assert option in done.stdout


def test_each_verb_help_shows_its_own_examples():
    from s2sad.cli import VERBS, build_parser

    parser = build_parser()
    for verb in VERBS:
        name = verb.__name__.rsplit(".", 1)[1]
        text = parser._subparsers._group_actions[0].choices[name].format_help()
        examples = text[text.index("examples:"):].split("\n\n")[0].splitlines()[1:]
        commands = [line.split()[1] for line in examples]
        assert commands and set(commands) == {name}, (name, examples)


def test_no_arguments_prints_usage_and_exit_status_2():
    done = run()
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_mode_is_a_usage_error():
    done = run("show", LECTURE, "--mode", "sideways")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr
    assert "Traceback" not in done.stderr


# -------------------------------------------------------------------------------- errors
@RUNNERS
def test_missing_file_prints_one_clean_error(tmp_path, runner):
    done = run("show", str(tmp_path / "no_such_file.py") + ":f", runner=runner)
    assert_clean_error(done, "no_such_file.py", status=2)


@RUNNERS
def test_missing_function_prints_one_clean_error(runner):
    done = run("show", "examples/lecture.py:no_such_function", runner=runner)
    assert_clean_error(done, "no_such_function", status=2)


def test_address_without_colon_prints_one_clean_error():
    done = run("show", "examples/lecture.py")
    assert_clean_error(done, "FILE.py:FUNC", status=2)


UNSUPPORTED = """\
import numpy as np


def f(x):
    try:
        y = np.log(x)
    except ValueError:
        y = x
    return y
"""


@RUNNERS
def test_unsupported_syntax_prints_one_clean_error_with_file_line_col(tmp_path, runner):
    path = tmp_path / "uses_try.py"
    path.write_text(UNSUPPORTED)
    done = run("show", f"{path}:f", runner=runner)
    assert_clean_error(done, "UnsupportedSyntaxError", f"{path}:5:4", "try:", "hint:",
                       status=1)
    lines = done.stderr.splitlines()
    source = lines.index("          try:")
    assert lines[source + 1] == "          ^"


def test_missing_rule_prints_one_clean_error_with_file_line_col(tmp_path):
    path = tmp_path / "uses_interp.py"
    path.write_text("import numpy as np\n\n\ndef f(x):\n"
                    "    return np.sum(np.interp(x, x, x) * x)\n")
    done = run("show", f"{path}:f")
    assert_clean_error(done, "MissingRuleError", f"{path}:5:18", "np.interp", "hint:", status=1)


def test_bad_wrt_prints_one_clean_error():
    done = run("show", LECTURE, "--wrt", "x3")
    assert_clean_error(done, "NonDifferentiableError", "x3", "hint:", status=1)


def test_module_that_fails_to_import_by_path_prints_one_clean_error(tmp_path):
    path = tmp_path / "broken_import.py"
    path.write_text("raise RuntimeError('this module cannot be imported')\n")
    done = run("show", f"{path}:f")
    assert_clean_error(done, "cannot be imported", status=2)


def test_module_with_syntax_error_by_path_prints_one_clean_error(tmp_path):
    path = tmp_path / "broken_syntax.py"
    path.write_text("def f(x:\n    return x\n")
    done = run("show", f"{path}:f")
    assert_clean_error(done, "SyntaxError", status=2)


def test_missing_module_prints_one_clean_error():
    done = run("show", "no_such_package_for_s2sad_tests.model:f")
    assert_clean_error(done, "no_such_package_for_s2sad_tests", status=2)


@pytest.mark.parametrize("body", ["raise RuntimeError('this module cannot be imported')\n",
                                  "def f(x:\n    return x\n"], ids=["raises", "syntax-error"])
def test_package_module_that_fails_to_import_prints_one_clean_error(tmp_path, body):
    (tmp_path / "cli_broken_module_for_tests.py").write_text(body)
    done = run("show", "cli_broken_module_for_tests:f",
               env_extra={"PYTHONPATH": str(tmp_path)})
    assert_clean_error(done)


def test_empty_module_name_prints_one_clean_error():
    done = run("show", ":f")
    assert_clean_error(done)


@pytest.mark.parametrize("kind", ["directory", "file-without-suffix"])
def test_path_that_is_not_a_python_file_prints_one_clean_error(tmp_path, kind):
    target = tmp_path / "not_python"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_text("def f(x):\n    return x * x\n")
    done = run("show", f"{target}:f")
    if kind == "file-without-suffix" and done.returncode == 0:
        assert "def f_grad(" in done.stdout  # loading it is fine too
    else:
        assert_clean_error(done)
