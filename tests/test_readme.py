"""The README shows real output: its generated-code blocks are what s2sad prints today."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

LOOP = '''def f(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + 1.0
    return s
'''


def show(*args, cwd=ROOT):
    done = subprocess.run([sys.executable, "-m", "s2sad", "show", *args], cwd=cwd,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_readme_shows_the_real_lecture_gradient_code():
    assert show("examples/lecture.py:f", "--wrt", "x1,x2") in README


def test_readme_shows_the_real_loop_gradient_code(tmp_path):
    (tmp_path / "f.py").write_text(LOOP)
    assert LOOP.strip() in README
    assert show("f.py:f", cwd=tmp_path) in README
