"""The API's types, as a user's type checker sees them: ``mypy --strict`` on a typed module
that calls the whole public API (``typecheck/user_code.py``) reports nothing, and it does
report the mistakes the types are there to catch (a derivative called with too few arguments:
the derivative functions keep the signature of the function they are made from). The package
ships the ``py.typed`` marker that makes type checkers read its annotations.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import s2sad

HERE = Path(__file__).parent
USER_CODE = HERE / "typecheck" / "user_code.py"
PACKAGE = Path(s2sad.__file__).parent
ROOT = PACKAGE.parent

MISTAKES = '''\
import s2sad


def f(x: float, y: float) -> float:
    return x * y


s2sad.grad(f)(1.0)
s2sad.jacfwd(f, argnums=1.5)
text: int = s2sad.source(f)
s2sad.differentiate(f)("a", 2.0)
s2sad.vjp(f, 1.0, 2.0, wrt=[0, 1.5])
'''


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory):
    """mypy --strict's lines on the user code and on code with mistakes, in one run (mypy
    reads the s2sad being tested; errors inside s2sad itself are not a user's)."""
    pytest.importorskip("mypy.api")
    folder = tmp_path_factory.mktemp("typing")
    mistakes = folder / "mistakes.py"
    mistakes.write_text(MISTAKES)
    env = dict(os.environ, MYPYPATH=str(ROOT))
    env.pop("PYTHONPATH", None)  # MYPYPATH says which s2sad; nothing else of the tests
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(folder / "cache"), "--no-error-summary", "--hide-error-context",
         "--no-color-output", str(USER_CODE), str(mistakes)],
        capture_output=True, text=True, env=env, cwd=folder, timeout=300)
    assert done.returncode in (0, 1), done.stderr  # 1: errors found; 2: mypy itself failed
    return done.stdout.splitlines()


def test_mypy_strict_accepts_a_user_module_calling_the_whole_api(mypy_report):
    assert [line for line in mypy_report if "user_code.py" in line] == []


def test_mypy_strict_catches_mistakes_in_calls_of_derivatives(mypy_report):
    found = [line.split("mistakes.py:")[1] for line in mypy_report if "mistakes.py:" in line]
    lines = sorted({int(line.split(":")[0]) for line in found})
    assert lines == [8, 9, 10, 11, 12], "\n".join(found)
    assert any("Too few arguments" in line for line in found)  # grad(f) takes f's parameters


def test_the_user_module_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(USER_CODE)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 40  # every call gave a result


def test_the_package_ships_its_type_marker():
    assert (PACKAGE / "py.typed").is_file()
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["s2sad"]
    for extra in ("test", "dev"):
        assert any(r.startswith("mypy") for r in project["project"]["optional-dependencies"][extra])


PUBLIC_FUNCTIONS = [name for name in s2sad.__all__
                    if callable(getattr(s2sad, name)) and not isinstance(getattr(s2sad, name),
                                                                         type)]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_is_annotated(name):
    function = getattr(s2sad, name)
    annotations = function.__annotations__
    assert "return" in annotations, name
    code = function.__code__
    parameters = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount
                                  + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)]
    assert set(parameters) <= set(annotations), (name, set(parameters) - set(annotations))


def test_the_methods_of_a_differentiable_function_are_annotated():
    for name in ("__init__", "__call__", "grad", "value_and_grad", "vjp", "jvp", "source"):
        method = getattr(s2sad.Differentiable, name)
        code = method.__code__
        parameters = code.co_varnames[1:code.co_argcount + code.co_kwonlyargcount
                                      + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)]
        assert "return" in method.__annotations__, name
        assert set(parameters) <= set(method.__annotations__), name
