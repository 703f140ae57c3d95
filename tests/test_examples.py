"""Every example in examples/ runs to completion (they are documentation that executes), and
the seed examples print the lecture notes' numbers to the digits the notes print."""

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
E2 = math.exp(2.0)

# Lines (or parts of lines) each seed example must print. The numbers are the seeds' printed
# digits (../shared/seeds: 000 lecture, 001 neuron, 002 proposal, 003 Jacobians, 004 tutorial)
# or, where a seed prints a formula, the formula evaluated here.
PRINTED = {
    "lecture.py": [
        "y = 11.652   x1_bar = 5.5   x2_bar = 1.716",
        "x2_bar = -0.284 (through sin) + 2.0 (through x1 * x2)",
        "y = 11.652   y_dot = dy/dx1 = 5.5",
        "f(2, 5) = 11.652; df/dx1 = 5.5; df/dx2 = 1.716",
        f"d2f/dx1^2 = -0.25   d2f/dx1dx2 = 1.0   d2f/dx2^2 = {round(math.sin(5.0), 3)}",
        "    # forward sweep\n    t1 = np.log(x1)\n    t2 = x1 * x2\n",
        "Forward tangent trace of f, seeded with x1_dot",
        '"n6" [label="t5 = t3 - t4\\n= 11.652\\nt5_bar = 1", shape=box];',
    ],
    "logistic_neuron.py": [
        "    t1 = w * x\n    z = t1 + b\n    t2 = -z\n    t3 = np.exp(t2)\n    t4 = 1 + t3\n"
        "    y = 1 / t4\n    t5 = y - t\n    t6 = t5 ** 2\n    t7 = t6 / 2\n",
        f"y = logistic(1.5) = {1 / (1 + math.exp(-1.5)):.6f}",
        f"Initial loss: {4 * math.log(2):.6f}",
    ],
    "proposal_xy.py": [
        f"v3 = 2 + e^2 = {2 + E2:.6f}",
        f"v1' = 1 + e^2 = {1 + E2:.6f}",
        f"df/dx = 2 + 2e^2 = {2 + 2 * E2:.6f}",
        f"df/dy = 1 + e^2 = {1 + E2:.6f}",
    ],
    "jacobians.py": [
        "n = 2 inputs, m = 2 outputs\n  forward mode, 2 JVP passes: "
        f"[[{round(2 + math.cos(1.0), 6)}, 1.0], [{round(math.exp(-1.0), 6)}, "
        f"{round(-math.exp(-1.0), 6)}]]",
        "  reverse mode, 2 VJP passes: [[",
        "n = 3 inputs, m = 2 outputs\n  forward mode, 3 JVP passes: "
        "[[5.0, 1.0, 1.0], [0.333333, 0.333333, 0.0]]",
        "  reverse mode, 2 VJP passes: [[5.0, 1.0, 1.0], [0.333333, 0.333333, 0.0]]",
        "forward mode needs 50 JVP passes for the gradient, reverse mode 1 VJP pass",
    ],
    "dual_numbers.py": [
        "dual number: func(1.5 + 1 eps) = -1.125 + 5.25 eps",
        "s2sad forward mode: func = -1.125, derivative 5.25",
        "s2sad reverse mode: derivative 5.25",
        "do/dx = [[4.5, 4.5], [4.5, 4.5]]",
        "v^T J = [102.4, 1024.0, 0.1024]",
    ],
    "classifier.py": ["step   0   loss ", "training accuracy "] + (
        ["largest difference over 300 steps", "s2sad / torch = "]
        if importlib.util.find_spec("torch") else
        ["PyTorch is not installed: the comparison with torch.autograd is skipped."]),
    "scipy_optimize.py": [
        "BFGS         jac                  [2.0, 1.3, 0.5]",
        "Newton-CG    jac, hess            [2.0, 1.3, 0.5]",
        "trust-exact  jac, hess            [2.0, 1.3, 0.5]",
        "trust-ncg    jac, hessp           [2.0, 1.3, 0.5]",
    ],
}


def run(path):
    done = subprocess.run([sys.executable, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(path):
    output = run(path)
    assert output.strip()
    for expected in PRINTED.get(path.name, []):
        assert expected in output, f"{path.name} did not print {expected!r}"


def test_every_seed_example_is_in_the_examples_directory():
    assert set(PRINTED) <= {p.name for p in EXAMPLES}

