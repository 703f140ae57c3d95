"""Write docs/rules.md, the table of every function s2sad differentiates, from the registry.

    python scripts/rules_page.py           # (re)write docs/rules.md
    python scripts/rules_page.py --check   # exit 1 if docs/rules.md is not what it would write

One section per family (``s2sad/rules/<family>.py``): each user-facing primitive with the ways
to write it (``np.max``, ``np.amax``, ``x.max()``), its differentiable arguments, its parameters,
its modes and its note. Runtime helpers that only generated code calls are listed at the end,
then the coverage of autograd's functions (``scripts/coverage.py``). The prose between the
tables is in this file. Everything is sorted, so the page depends only on the registry (and on
the installed NumPy and SciPy, whose aliases it lists): run it with SciPy installed, as CI does.
"""

from __future__ import annotations

import argparse
import builtins
import importlib.util
import inspect
import math
import pkgutil
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "rules.md"
sys.path.insert(0, str(ROOT))

import s2sad  # noqa: E402
from s2sad import rules  # noqa: E402
from s2sad.rules import registry  # noqa: E402

# Modules whose public functions are spelled on the page with these prefixes.
NAMESPACES = [("np", np), ("np.linalg", np.linalg), ("np.fft", np.fft), ("math", math),
              ("", builtins), ("s2sad", s2sad)]
for _prefix in ("scipy.special", "scipy.linalg"):
    if importlib.util.find_spec("scipy") is not None:
        NAMESPACES.append((_prefix, importlib.import_module(_prefix)))

# Primitives that stand for syntax rather than for a Python object.
SYNTAX = {
    "getitem": ["x[index]"],
    "setitem": ["x[index] = v"],
    "list_append": ["items.append(v)"],
    "new_list": ["[]", "[a, b]"],
    "tuple": ["(a, b)"],
    "array": ["np.array([a, b])", "np.asarray([a, b])"],
    "asarray": ["np.array(x)", "np.asarray(x)"],
    "getattr": ["obj.attr"],
    "is": ["x is y"],
    "is_not": ["x is not y"],
}
# The rules modules that register no primitives of their own (effects: one per call, unregistered).
NOT_FAMILIES = {"registry", "user", "effects"}


def _load(name: str):
    """A script of this folder as a module (``coverage`` would clash with the package)."""
    spec = importlib.util.spec_from_file_location(f"_s2sad_script_{name}",
                                                  Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COVERAGE = _load("coverage")


class _Recorder(registry.Registry):
    """A registry that only notes the names registered into it: a family's module is run
    against it to learn which primitives that family registers (the registry does not record
    where a primitive comes from). Lookups by name see the real registry, so a family may
    refer to another family's primitive."""

    def __init__(self, real):
        super().__init__()
        self.by_name = dict(real.by_name)
        self.added: list[str] = []

    def add(self, prim, *args, **kwargs):
        self.added.append(prim.name)
        return prim


def families() -> dict[str, list[str]]:
    """Family (rules module name) -> the names of the primitives it registers."""
    real = registry.REGISTRY
    out = {}
    try:
        for info in sorted(pkgutil.iter_modules(rules.__path__), key=lambda i: i.name):
            if info.name in NOT_FAMILIES:
                continue
            recorder = registry.REGISTRY = _Recorder(real)
            path = Path(rules.__file__).with_name(f"{info.name}.py")
            spec = importlib.util.spec_from_file_location(f"s2sad.rules._page_{info.name}", path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
            out[info.name] = [n for n in recorder.added if n in real.by_name]
    finally:
        registry.REGISTRY = real
    return out


def _names_by_object() -> dict[int, list[str]]:
    """id(object) -> the public dotted names it has in NAMESPACES."""
    names: dict[int, list[str]] = {}
    for prefix, module in NAMESPACES:
        for attr in dir(module):
            if attr.startswith("_"):
                continue
            try:
                obj = getattr(module, attr)
            except AttributeError:
                continue
            if isinstance(obj, types.ModuleType) or isinstance(obj, (int, float, str)):
                continue
            names.setdefault(id(obj), []).append(f"{prefix}.{attr}" if prefix else attr)
    return names


def _objects() -> dict[str, list]:
    out: dict[str, list] = {}
    for obj, prim in registry.REGISTRY.objects():
        out.setdefault(prim.name, []).append(obj)
    return out


def _from_s2sad(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] == "s2sad"


def spellings(prim, objects, names) -> list[str]:
    """How users write `prim`: its operator, attribute, method or function names."""
    reg = registry.REGISTRY
    out = list(SYNTAX.get(prim.name, []))
    if out:  # np.array([a, b]) is the array primitive, np.array(x) another one
        objects = ()
    if prim.form in ("binop", "compare") and not out:
        out.append(f"x {prim.spelling} y")
    elif prim.form == "unaryop":
        out.append(f"{prim.spelling} x" if prim.spelling.isalpha() else f"{prim.spelling}x")
    out += [f"x.{attr}" for attr, p in reg.attributes.items() if p is prim]
    out += [f"x.{method}()" for method, p in reg.methods.items() if p is prim]
    for obj in objects:
        if isinstance(obj, types.MethodType):  # scipy.stats.norm.logpdf: its own spelling
            out.append(prim.spelling)
        elif _from_s2sad(obj):
            out += [n for n in names.get(id(obj), []) if n.startswith("s2sad.")]
        else:
            out += [n for n in names.get(id(obj), []) if not n.startswith("s2sad.")]
    return sorted(set(out))


def is_helper(prim, user_spellings) -> bool:
    """Only generated code calls it (no spelling a user writes)."""
    return not user_spellings


def modes(prim) -> str:
    if not prim.differentiable:
        return "zero derivative"
    have = [name for kind, name in (("vjp", "reverse"), ("jvp", "forward"))
            if COVERAGE.has_rules(prim, kind)]
    return " / ".join(have) if have else "none"


def arguments(prim) -> str:
    if not prim.differentiable:
        return "—"
    out = []
    for arg in COVERAGE.differentiable_args(prim):
        refused = "no_derivative(" in prim.vjp.get(arg, "")
        out.append(f"`{arg}` (refused)" if refused else f"`{arg}`")
    return ", ".join(out)


def parameters(prim) -> str:
    """The non-differentiable arguments and parameters, with their defaults."""
    diff = COVERAGE.differentiable_args(prim) if prim.differentiable else []
    out = [f"`{arg}`" for arg in prim.argnames if arg not in diff]
    for i, (name, default) in enumerate(prim.params):
        out.append(f"`{name}`" if i < prim.required_params or default is None
                   else f"`{name}={default!r}`")
    return ", ".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _family_title(family: str) -> str:
    module = importlib.import_module(f"s2sad.rules.{family}")
    doc = inspect.getdoc(module) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("``", "`").strip()


def collect():
    """(family -> rows, helpers): rows are (spellings, prim) of user-facing primitives."""
    reg = registry.REGISTRY
    objects, names = _objects(), _names_by_object()
    tables, helpers = {}, []
    for family, prim_names in families().items():
        rows = []
        for name in prim_names:
            prim = reg.by_name[name]
            spelled = spellings(prim, objects.get(name, []), names)
            if is_helper(prim, spelled):
                helpers.append((family, prim))
            else:
                rows.append((spelled, prim))
        tables[family] = sorted(rows, key=lambda row: (row[0][0].lower(), row[1].name))
    return tables, sorted(helpers, key=lambda h: h[1].name)


def render() -> str:
    tables, helpers = collect()
    out = [HEADER]
    count = sum(len(rows) for rows in tables.values())
    out.append(f"{count} user-facing primitives in {len(tables)} families, and "
               f"{len(helpers)} runtime helpers of generated code.\n")
    for family, rows in tables.items():
        if not rows:
            continue
        out.append(f"## {family}\n")
        out.append(f"`s2sad/rules/{family}.py`: {_family_title(family)}\n")
        out.append("| function | differentiable arguments | parameters | modes | note |")
        out.append("|---|---|---|---|---|")
        for spelled, prim in rows:
            written = ", ".join(f"`{s}`" for s in spelled)
            out.append(f"| {_cell(written)} | {arguments(prim)} | {_cell(parameters(prim))} | "
                       f"{modes(prim)} | {_cell(prim.note)} |")
        out.append("")
    out.append(HELPERS_INTRO)
    by_family: dict[str, list[str]] = {}
    for family, prim in helpers:
        by_family.setdefault(family, []).append(f"`{prim.name}`")
    out += [f"- {family}: {', '.join(names)}" for family, names in sorted(by_family.items())]
    out.append("")
    out.append(_coverage_section())
    out.append(PROSE)
    return "\n".join(out).rstrip("\n") + "\n"


def _coverage_section() -> str:
    covered, missing = COVERAGE.coverage()
    total = len(covered) + len(missing)
    lines = [COVERAGE_INTRO, f"**{len(covered)} of {total}** of autograd's functions are "
             f"covered in both modes{'; missing:' if missing else '.'}\n"]
    if missing:
        lines += [f"- `{name}`{f': {why}' if why else ''}" for name, why in missing]
    return "\n".join(lines) + "\n"


def check() -> bool:
    """True if docs/rules.md is what render() writes."""
    return PAGE.exists() and PAGE.read_text() == render()


HEADER = """\
# Supported functions

<!-- Generated by scripts/rules_page.py from the registry: do not edit by hand. Run
     `python scripts/rules_page.py` after changing a rule (tests/test_rules_page.py checks it). -->

Every function s2sad has derivative rules for, by family (`s2sad/rules/<family>.py`), as
registered in `s2sad.rules.REGISTRY`. "function" lists every way to write it: NumPy, `math`
and SciPy names (aliases included), operators, array methods (`x.max()`) and attributes.
"differentiable arguments" are the ones a derivative flows through (an argument marked
*refused* raises `MissingRuleError` if a derivative would flow through it); "parameters" are
the non-differentiable ones (masks, axes, shapes, flags), with their defaults where they have
one other than `None`. "modes": every differentiable primitive has a reverse rule (VJP: `grad`,
`vjp`) and a forward rule (JVP: `jvp`); "zero derivative" marks functions that pass no
derivative (comparisons, rounding, shapes, indices, constructors). A call whose arguments do
not depend on a differentiated input needs no rule at all: it runs as written
([guide.md](guide.md#calls-without-rules-constants-run-as-written)). How rules are written,
how they stay free of NaN, and the conventions for complex numbers and dtypes are
[at the end](#how-to-add-a-rule).
"""

HELPERS_INTRO = """\
## Runtime helpers

Functions of `s2sad/runtime/` that only generated derivative code calls. Each is a primitive
with rules of its own, so that derivative code can be differentiated again (Hessians,
grad-of-grad); you do not call them yourself.
"""

COVERAGE_INTRO = """\
## Coverage of autograd's functions

`scripts/autograd_functions.txt` lists the functions autograd's NumPy and SciPy wrappers
differentiate; `python scripts/coverage.py` looks each one up in the registry by object. A
function counts as covered when its primitive has reverse and forward rules for every
differentiable argument, or has a zero derivative where the function is piecewise constant.
"""

PROSE = """\
## How to add a rule

A rule is a few lines in one place: a `defprim` call in the family's `s2sad/rules/<family>.py`
with the Python objects it stands for, its differentiable arguments (`argnames`), its
non-differentiable parameters (`params`, with defaults), one VJP and one JVP template per
argument, and a `note` when a user should know something (a convention, a domain, a tie rule).
The rule `s2sad/rules/elementwise.py` builds for `np.arcsinh` from its table of derivatives,
written out:

<!-- norun -->
```python
defprim("arcsinh", "np.arcsinh", objects=(np.arcsinh,), elementwise=True,
        vjp={"x": "g * reciprocal(np.sqrt(x * x + 1.0))"},
        jvp={"x": "x_dot * reciprocal(np.sqrt(x * x + 1.0))"})
```

A template is a Python expression over the arguments (`x`, `y`), the parameters (`axis`),
the result `ans`, the cotangent `g` (VJP) or the tangents `x_dot` (JVP); `nondiff(...)`
registers a function whose derivative is zero. Then add a row for it to the shared rule table,
`tests/rule_table.py` or the family's `tests/cases_<family>.py` (`Case(name, fn, shapes,
domain)`): the table checks both modes against finite differences on scalars, vectors,
matrices and broadcast shapes, and a test fails for a differentiable primitive without a row.

**Closure.** Templates are lowered like user code, so every function a template calls must
itself be a registered primitive (`test_rule_templates_only_call_registered_primitives`). That
is what makes derivative code differentiable again. A rule that needs a helper writes it as a
plain NumPy function in `s2sad/runtime/<family>.py`, adds it to that module's `HELPERS`, and
registers it as a primitive with its own rules: the helpers in the list above. Finally run
`python scripts/rules_page.py` to regenerate this page. Your own functions get rules the same
way through `@s2sad.primitive`, `s2sad.defvjp` and `s2sad.defjvp` ([user-rules.md](user-rules.md)).

## How the derivatives stay free of NaN

A derivative that is infinite at a point (`log` and `sqrt` at 0, `arcsin` and `arccos` at
±1, `arccosh` at 1, `arctanh` at ±1, `1 / y` at 0) is honest as long as the cotangent it
meets is not zero. It becomes a bug when the cotangent is an exact zero, which is what
`np.where` sends to the branch it did not take: in `np.where(x > 0, np.sqrt(x), 0.0)` at
`x = 0` the chain rule gives `0 * inf = NaN`, which then poisons the whole gradient (autograd
and JAX return NaN there). `np.where`'s rules mask the cotangent first
(`np.where(condition, g, 0.0)`), and the rules of the functions with such singular points
divide with `safe_div` (`log`: `safe_div(g, x)`) or multiply with `safe_mul`: the ordinary
operation, in which an exact zero is a *strong zero* (`0 / 0 = 0`, `0 * inf = 0`,
`0 * nan = 0`). Nothing changes where the ordinary result is not NaN, and the check costs one
reduction. Division differentiates the same way, so `np.where(x != 0, np.sin(x) / x, 1.0)` and
`np.where(x > 0, np.log(x), 0.0)` have derivative 0 at the excluded points; the exponent's
derivative of `x ** y` (`log(x)`, infinite at `x = 0`) is a strong-zero product, and `x ** 0`
has derivative 0 at 0. The forward rules use the same helpers, so a zero tangent stays zero.

The other way round, an infinite derivative meets a product: in `np.sqrt(x * x + y * y)` at the
origin the adjoint of `x * x` is `inf`, and the product rule `g * x` makes `inf * 0 = NaN`.
Reverse mode knows which adjoints may be infinite where every value is finite: those that
`sqrt`, `cbrt`, `arcsin`, `arccos`, `arccosh` and `x ** p` with a power that may be below 1
send back (functions finite at a point where their derivative is infinite), and whatever is
computed from them. Only there do products differentiate with strong zeros (`safe_mul(g, y)`
instead of `g * y`; likewise `x ** 2`, `np.square`, `np.prod` and the elementwise functions
whose derivative may be 0, such as `np.cos` at 0), so `np.sqrt(x * x + y * y)`,
`np.sqrt(x ** 2 + y ** 2)`, `np.sqrt(np.sum((a - b) ** 2))` at `a == b` and
`np.sqrt(1 - np.cos(x))` have derivative 0 there (a subgradient), in loops too. Every other
program keeps the plain, cheaper rules. Forward mode needs nothing more: the tangent of `x * x`
at 0 is 0, and `safe_div(0, 0)` is 0. Not covered: a sum of squares written as a contraction,
`np.sqrt(d @ d)` or `np.sqrt(np.dot(d, d))` (write `np.sum(d * d)` or `np.linalg.norm(d)`).
The docstring of `s2sad/runtime/elementwise.py` has the details.

Where a function has a kink, s2sad picks a subgradient that makes no NaN: `np.abs` has
derivative 0 at 0 (`sign(0) = 0`); `np.linalg.norm` (2-norms) and `np.hypot` have
derivative 0 at the zero vector instead of `0 / 0`, and `np.arctan2` 0 at the origin; `np.sinc`
has its true derivative 0 at 0, from a short Taylor series near 0. Ties split the cotangent
evenly: `np.maximum`, `np.minimum`, `np.fmax`, `np.fmin` and `np.clip` at a bound give half
to each side on `x == y`, and `np.max` / `np.min` with several maximal entries share the
cotangent among them equally (the mean of the one-sided derivatives, the same in both modes).
The builtin `max` / `min` return the first of equal values, as Python does, and the whole
cotangent goes to it. `np.prod` differentiates exactly where entries are zero
(products of the other entries, never `prod / x`). Log-sum-exp forms are stable at large
inputs: `scipy.special.logsumexp` differentiates to the softmax `exp(x - ans)` and
`np.logaddexp` to `exp(x - ans)`, which never overflow.

## Complex numbers

s2sad differentiates real functions of real inputs; complex values may appear in between
(a spectrum from `np.fft.fft`, a transfer function). A cotangent pairs with a tangent by
`<g, t> = Re(sum(g * t))`: the adjoint of a linear map is its plain transpose (no conjugate),
and a holomorphic function keeps its real rule (`g * cos(z)` for `sin`). For a real loss of
`z = u + iv` the adjoint is `dL/du - 1j * dL/dv`. So `np.real(z)` has adjoint `g`,
`np.imag(z)` has `-1j * g`, `np.conj(z)` has `conj(g)` and `np.angle(z)` has
`-1j * Re(g) / z`; a real input gets the real part of its adjoint. The transforms are linear:
`fft`'s adjoint is `fft` again (the DFT matrix is symmetric), `rfft`'s is the full transform
of the zero-padded cotangent. `np.abs(z)` has adjoint `Re(g) * conj(z) / |z|` (0 at 0).
The docstring of `s2sad/rules/fft.py` has the details.

## Dtypes

A float32 argument gets a float32 gradient, and a float32 output a float32 tangent, in every
API (`grad`, `vjp`, `jvp`, `jacobian`, `hessian`); float16 follows NumPy's promotion. Integer
arguments (Python ints and integer arrays) are differentiated as float64: their gradient and
tangent are float64.
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/rules.md is stale instead of writing it")
    args = parser.parse_args(argv)
    if args.check:
        if check():
            print("docs/rules.md is up to date")
            return 0
        print("docs/rules.md is stale: run python scripts/rules_page.py", file=sys.stderr)
        return 1
    PAGE.write_text(render())
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
