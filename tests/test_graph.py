"""Computational graphs (s2sad.graph, ``s2sad graph``): the SSA trace as DOT and Mermaid, one
node per input, SSA statement and output, the lecture's numbers on the nodes, loops and branches
as clusters, drawing through Graphviz when it is installed."""

import math
import os
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fd import directional_fd
from seed_functions import graph_example, jacobian_example, lecture_f, neuron_loss

import s2sad
from s2sad.graphs import MISSING

REPO = Path(__file__).resolve().parent.parent
LECTURE = "examples/lecture.py:f"


def horner(x, coefficients):
    s = 0.0
    for c in coefficients:
        s = s * x + c
    return s


def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


def power(x, n):
    s = 1.0
    for _ in range(n):
        s = s * x
    return s


def newton_sqrt(a):
    x = a
    k = 0
    while k < 5:
        x = 0.5 * (x + a / x)
        k = k + 1
    return x


def noisy(x, y):
    print("computing")
    return x * y, np.sin(x)


def dot_product(x):
    return np.einsum("i,i->", x, x)


# ------------------------------------------------------------------ reading DOT and Mermaid
DOT_NODE = re.compile(r'^\s*"(\w+)" \[label="((?:[^"\\]|\\.)*)", (.*)\];$')
DOT_EDGE = re.compile(r'^\s*"(\w+)" -> "(\w+)"( \[(.*)\])?;$')


def parse_dot(text):
    """Nodes {id: (label lines, attributes)}, edges [(source, target, attributes)] and
    cluster labels of a DOT text s2sad wrote; fails on any line it does not understand."""
    assert _balanced(text, "{", "}"), text
    lines = text.splitlines()
    assert re.fullmatch(r'digraph "\w+" \{', lines[0]) and lines[-1] == "}"
    nodes, edges, clusters = {}, [], []
    for line in lines[1:-1]:
        node, edge = DOT_NODE.match(line), DOT_EDGE.match(line)
        if node:
            assert node.group(1) not in nodes, f"node declared twice: {line}"
            label = node.group(2).replace('\\"', '"').replace("\\\\", "\\")
            nodes[node.group(1)] = (label.split("\\n"), node.group(3))
        elif edge:
            edges.append((edge.group(1), edge.group(2), edge.group(4) or ""))
        elif line.strip().startswith("label="):
            clusters.append(line.strip()[len('label="'):-2])
        else:
            assert re.fullmatch(r"\s*(rankdir=LR;|compound=true;|fontname=\"Helvetica\";|"
                                r"node \[.*\];|edge \[.*\];|subgraph cluster_\d+ \{|"
                                r"style=\w+;|\})", line), line
    for source, target, _ in edges:
        assert source in nodes and target in nodes, (source, target)
    return nodes, edges, clusters


MERMAID_NODE = re.compile(r'^\s*(n\d+)(\(\[|\[\[|\[|\{|\(|>)"([^"]*)"(\]\)|\]\]|\]|\}|\))$')
MERMAID_EDGE = re.compile(r"^\s*(n\d+) (-->|-\.->|-\. next trip \.->) ((?:n|c)\d+)$")


def parse_mermaid(text):
    """Nodes {id: label lines} and edges [(source, arrow, target)] of a Mermaid flowchart."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    opened = sum(bool(re.match(r"\s*subgraph c\d+ \[", line)) for line in lines)
    assert opened == sum(line.strip() == "end" for line in lines)
    nodes, edges, subgraphs = {}, [], set()
    for line in lines[1:]:
        node, edge = MERMAID_NODE.match(line), MERMAID_EDGE.match(line)
        if node:
            assert node.group(1) not in nodes
            nodes[node.group(1)] = node.group(3).split("<br/>")
        elif edge:
            edges.append(edge.groups())
        elif line.strip().startswith("subgraph"):
            subgraphs.add(line.split()[1])
        else:
            assert re.fullmatch(r"\s*(end|classDef \w+ \S+|class [n\d,]+ \w+)", line), line
    for source, _, target in edges:
        assert source in nodes and (target in nodes or target in subgraphs), (source, target)
    return nodes, edges


def _balanced(text, opening, closing):
    depth = 0
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', '""', text):  # braces inside labels do not count
        depth += (char == opening) - (char == closing)
        if depth < 0:
            return False
    return depth == 0


def ssa_lines(f):
    """The statements ``s2sad show --ssa`` prints (without the def and return lines)."""
    lines = s2sad.source(f, ssa=True).splitlines()[1:]
    return [line.strip() for line in lines if " = " in line]


# ------------------------------------------------------------------------- the lecture
def test_the_lecture_graph_has_a_node_per_input_ssa_statement_and_output():
    drawn = s2sad.graph(lecture_f)
    kinds = [(n.kind, n.label) for n in drawn.nodes]
    assert kinds == [("input", "x1"), ("input", "x2")] + [
        ("op", line) for line in ssa_lines(lecture_f)] + [("output", "y = t5")]
    assert ("op", "t3 = t1 + t2") in kinds
    nodes, edges, _ = parse_dot(drawn.dot())
    assert [lines[0] for lines in map(lambda v: v[0], nodes.values())] == [k[1] for k in kinds]


def test_edges_are_the_data_dependencies():
    drawn = s2sad.graph(lecture_f)
    by_id = {n.id: n.label.split(" = ")[0] for n in drawn.nodes}
    pairs = {(by_id[e.source], by_id[e.target]) for e in drawn.edges}
    assert pairs == {("x1", "t1"), ("x1", "t2"), ("x2", "t2"), ("x2", "t4"), ("t1", "t3"),
                     ("t2", "t3"), ("t3", "t5"), ("t4", "t5"), ("t5", "y")}
    _, dot_edges, _ = parse_dot(drawn.dot())
    _, mermaid_edges = parse_mermaid(drawn.mermaid())
    assert [(s, t) for s, t, _ in dot_edges] == [(s, t) for s, _, t in mermaid_edges] == [
        (e.source, e.target) for e in drawn.edges]


def test_values_and_adjoints_are_the_lectures_numbers():
    drawn = s2sad.graph(lecture_f, 2.0, 5.0)
    assert round(drawn.node("y").value, 3) == 11.652
    assert round(drawn.node("t5").value, 3) == 11.652
    assert round(drawn.node("x1").adjoint, 3) == 5.5
    assert round(drawn.node("x2").adjoint, 3) == 1.716
    assert drawn.node("t4").adjoint == -1.0  # v4_bar = v6_bar * (-1)
    assert drawn.node("y").adjoint == 1.0
    nodes, _, _ = parse_dot(drawn.dot())
    labels = {lines[0]: lines[1:] for lines, _ in nodes.values()}
    assert labels["y = t5"] == ["= 11.652", "y_bar = 1"]
    assert labels["x1"] == ["= 2", "x1_bar = 5.5"]
    assert labels["x2"] == ["= 5", "x2_bar = 1.7163"]
    assert labels["t3 = t1 + t2"] == ["= 10.693", "t3_bar = 1"]
    mermaid, _ = parse_mermaid(drawn.mermaid())
    assert ["x1", "= 2", "x1_bar = 5.5"] in mermaid.values()


def test_every_value_and_adjoint_on_a_node_is_the_traces():
    drawn = s2sad.graph(neuron_loss, 0.5, 1.5, -0.3, 1.0)
    trace = s2sad.trace(neuron_loss, 0.5, 1.5, -0.3, 1.0)
    shown = [n for n in drawn.nodes if n.kind in ("input", "op")]
    assert len(shown) == 4 + 9 and all(n.value is not MISSING for n in shown)
    for node in shown:
        assert node.value == trace.value(node.name)
        assert node.adjoint == trace.adjoint(node.name)
    assert drawn.outputs()[0].value == neuron_loss(0.5, 1.5, -0.3, 1.0)
    assert drawn.outputs()[0].label == "out = t7"  # the function has a variable y


def test_input_adjoints_are_the_gradient_and_agree_with_finite_differences():
    args = (0.7, 1.3)
    drawn = s2sad.graph(lecture_f, *args)
    for index, name in enumerate(("x1", "x2")):
        expected = directional_fd(lecture_f, args, index, 1.0, 1.0)
        assert drawn.node(name).adjoint == pytest.approx(expected, rel=1e-7)


def test_a_value_used_twice_has_two_edges_seed_graph():
    drawn = s2sad.graph(graph_example, 1.0)
    x2 = drawn.node("x2")
    readers = [e.target for e in drawn.edges if e.source == x2.id]
    assert [drawn.nodes[int(r[1:])].label for r in readers] == ["x3 = x2 + 1", "x4 = x2 * x3"]
    e = math.e
    assert drawn.node("y").value == pytest.approx(e * (e + 1), rel=1e-14)
    assert drawn.node("x1").adjoint == pytest.approx(2 * e * e + e, rel=1e-14)
    # x2_bar collects both contributions: from x3 (x3_bar = x2) and from x4 (x3).
    assert drawn.node("x2").adjoint == pytest.approx(2 * e + 1, rel=1e-14)


# ------------------------------------------------------------------ arguments and outputs
def test_integer_arguments_stay_integers_on_their_nodes():
    drawn = s2sad.graph(lecture_f, 2, 5)
    assert drawn.node("x1").value == 2 and isinstance(drawn.node("x1").value, int)
    assert round(drawn.node("x1").adjoint, 3) == 5.5
    counted = s2sad.graph(power, 0.7, 3)
    assert counted.node("n").value == 3 and counted.node("n").adjoint is MISSING
    assert counted.node("x").adjoint == pytest.approx(3 * 0.7 ** 2, rel=1e-14)


def test_array_values_are_shown_in_short():
    x = np.array([1.0, 2.0, 3.0])
    drawn = s2sad.graph(dot_product, x)
    np.testing.assert_allclose(drawn.node("x").adjoint, 2 * x, rtol=1e-15)
    assert drawn.label(drawn.node("x")) == ["x", "= [1, 2, 3]", "x_bar = [2, 4, 6]"]
    big = s2sad.graph(dot_product, np.linspace(0.0, 1.0, 50))
    assert big.label(big.node("x"))[1] == "= array 50 in [0, 1]"


def test_quotes_and_arrows_in_labels_are_escaped():
    drawn = s2sad.graph(dot_product)
    nodes, _, _ = parse_dot(drawn.dot())
    assert any("'i,i->'" in lines[0] for lines, _ in nodes.values())
    mermaid, _ = parse_mermaid(drawn.mermaid())
    assert any("'i,i-#gt;'" in lines[0] for lines in mermaid.values())


def test_each_output_of_a_tuple_is_a_node():
    drawn = s2sad.graph(jacobian_example, 1.0, 2.0)
    outputs = drawn.outputs()
    assert [o.label for o in outputs] == ["y1 = t3", "y2 = t5"]
    assert outputs[0].value == pytest.approx(2.0 + math.sin(1.0), rel=1e-14)
    assert outputs[1].value == pytest.approx(math.exp(-1.0), rel=1e-14)
    # The default cotangent is ones: x1_bar sums the two outputs' derivatives.
    expected = 2.0 + math.cos(1.0) + math.exp(-1.0)
    assert drawn.node("x1").adjoint == pytest.approx(expected, rel=1e-14)


def test_a_print_is_a_node_without_a_value(capsys):
    drawn = s2sad.graph(noisy)
    effects = [n for n in drawn.nodes if n.kind == "effect"]
    assert [n.label for n in effects] == ["print('computing')"] and effects[0].name is None
    parse_dot(drawn.dot())
    parse_mermaid(drawn.mermaid())


def test_an_unknown_format_is_an_s2sad_error():
    with pytest.raises(s2sad.S2sadError, match="unknown graph format 'svg'"):
        s2sad.graph(lecture_f, format="svg")
    with pytest.raises(s2sad.S2sadError, match="digits must be a positive integer"):
        s2sad.graph(lecture_f, digits=0)


def test_str_gives_the_format_asked_and_the_output_is_deterministic():
    text = s2sad.graph(lecture_f, 2.0, 5.0).dot()
    assert str(s2sad.graph(lecture_f, 2.0, 5.0)) + "\n" == text == s2sad.graph(
        lecture_f, 2.0, 5.0).dot()
    mermaid = s2sad.graph(lecture_f, 2.0, 5.0, format="mermaid")
    assert str(mermaid) + "\n" == mermaid.mermaid() == s2sad.graph(lecture_f, 2.0, 5.0).mermaid()
    assert repr(mermaid) == ("<s2sad graph of lecture_f: 8 nodes, 9 edges; print it for its "
                             "mermaid text>")


def test_digits_sets_the_precision_shown():
    drawn = s2sad.graph(lecture_f, 2.0, 5.0, digits=8)
    assert drawn.label(drawn.node("x2"))[2] == "x2_bar = 1.7163378"


# -------------------------------------------------------------------- loops and branches
def test_a_loop_is_a_cluster_with_next_trip_edges():
    coefficients = np.array([2.0, -3.0, 0.5, 1.0])
    drawn = s2sad.graph(horner, 1.5, coefficients)
    assert [c.label for c in drawn.clusters] == ["for i in range(t1)"]
    inside = [n.label for n in drawn.nodes if n.cluster == 0]
    assert inside == ["i", "c = coefficients[i]", "t2 = s_1 * x", "s_2 = t2 + c", "s_1 = s_2"]
    by_label = {n.label: n.id for n in drawn.nodes}
    carried = [(e.source, e.target) for e in drawn.edges if e.kind == "carried"]
    assert carried == [(by_label["s_1 = s_2"], by_label["t2 = s_1 * x"])]
    # A value inside the loop has one value per trip: none is written on the node.
    assert all(n.value is MISSING for n in drawn.nodes if n.in_loop)
    assert drawn.node("s_1", "op").value is MISSING  # assigned in the loop as well
    x_bar, c_bar = s2sad.grad(horner, wrt=(0, 1))(1.5, coefficients)
    assert drawn.node("x").adjoint == pytest.approx(x_bar, rel=1e-14)
    np.testing.assert_allclose(drawn.node("coefficients").adjoint, c_bar, rtol=1e-14)
    assert drawn.node("y").value == pytest.approx(horner(1.5, coefficients), rel=1e-14)
    nodes, edges, clusters = parse_dot(drawn.dot())
    assert clusters == ["for i in range(t1)"]
    assert any("next trip" in attributes for _, _, attributes in edges)
    _, mermaid_edges = parse_mermaid(drawn.mermaid())
    assert any(arrow == "-. next trip .->" for _, arrow, _ in mermaid_edges)


def test_a_while_loop_is_a_cluster_with_its_condition():
    drawn = s2sad.graph(newton_sqrt, 2.0)
    assert [c.label for c in drawn.clusters] == ["while t1"]
    assert [n.label for n in drawn.nodes if n.kind == "branch"] == ["while t1"]
    assert drawn.node("y").value == pytest.approx(math.sqrt(2.0), rel=1e-12)
    assert drawn.node("a").adjoint == pytest.approx(0.5 / math.sqrt(2.0), rel=1e-9)
    parse_dot(drawn.dot())
    parse_mermaid(drawn.mermaid())


@pytest.mark.parametrize("r, taken", [(0.3, True), (-2.0, False)])
def test_a_branch_marks_the_side_taken(r, taken):
    drawn = s2sad.graph(huber, r, 1.0)
    if_side, else_side = drawn.clusters
    assert (if_side.label, else_side.label) == ("if t2", "else")
    assert (if_side.taken, else_side.taken) == (taken, not taken)
    untaken = 1 if taken else 0
    assert all(n.value is MISSING for n in drawn.nodes if n.cluster == untaken)
    assert drawn.node("y").value == huber(r, 1.0)
    assert drawn.node("r").adjoint == pytest.approx(s2sad.grad(huber)(r, 1.0), rel=1e-14)
    _, _, clusters = parse_dot(drawn.dot())
    assert clusters == (["if t2  (taken)", "else  (not taken)"] if taken else
                        ["if t2  (not taken)", "else  (taken)"])
    structure = s2sad.graph(huber)
    assert [c.taken for c in structure.clusters] == [None, None]


# --------------------------------------------------------------------------- drawing
def _fake_dot(folder: Path) -> Path:
    """A `dot` program that records its arguments and writes its input to the -o file."""
    script = folder / "dot"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import sys
        args = sys.argv[1:]
        open(args[args.index("-o") + 1], "w").write(" ".join(args) + "\\n" + sys.stdin.read())
        """))
    script.chmod(0o755)
    return script


@pytest.mark.skipif(os.name == "nt", reason="the fake dot is a POSIX script")
def test_render_runs_graphviz_dot_when_it_is_installed(tmp_path, monkeypatch):
    _fake_dot(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / "f.png"
    drawn = s2sad.graph(lecture_f, 2.0, 5.0)
    drawn.render(target)
    written = target.read_text()
    assert written.startswith("-Tpng -o ") and written.endswith(drawn.dot())


def test_render_without_graphviz_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("s2sad.drawing.shutil.which", lambda name, *a, **k: None)
    drawn = s2sad.graph(lecture_f)
    with pytest.raises(s2sad.S2sadError, match="Graphviz") as info:
        drawn.render(tmp_path / "f.png")
    assert "install Graphviz" in info.value.hint
    assert not (tmp_path / "f.png").exists()
    assert drawn._repr_svg_() is None
    # A notebook gets the Mermaid block alone (given SVG too, it would prefer the Markdown).
    assert drawn._repr_mimebundle_() == {"text/markdown": f"```mermaid\n{drawn.mermaid()}```\n"}


# ----------------------------------------------------------------------- the command line
def run(*args, path=None, cwd=REPO, hash_seed=None):
    env = dict(os.environ)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = str(hash_seed)
    # This checkout's s2sad, from any folder.
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def assert_clean_error(done, status, *words):
    assert done.returncode == status, (done.returncode, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.startswith("s2sad")
    for word in words:
        assert word in done.stderr, done.stderr


def test_cli_graph_prints_the_dot_text_of_the_api():
    f = runpy.run_path(str(REPO / "examples" / "lecture.py"))["f"]
    done = run("graph", LECTURE)
    assert done.returncode == 0, done.stderr
    assert done.stdout == s2sad.graph(f).dot()
    with_values = run("graph", LECTURE, "--at", "x1=2,x2=5")
    assert with_values.returncode == 0, with_values.stderr
    nodes, _, _ = parse_dot(with_values.stdout)
    assert ["x2", "= 5", "x2_bar = 1.7163"] in [lines for lines, _ in nodes.values()]
    assert run("graph", LECTURE, "--at", "x1=2,x2=5").stdout == with_values.stdout


def test_cli_graph_is_the_same_text_whatever_the_hash_seed():
    texts = [run("graph", "examples/loops.py:huber", "--at", "0.3,1.0", "--format", "mermaid",
                 hash_seed=seed).stdout for seed in (1, 2)]
    assert texts[0] == texts[1] and "subgraph" in texts[0]


def test_cli_graph_mermaid_and_digits():
    done = run("graph", LECTURE, "--format", "mermaid", "--at", "2,5", "--digits", "3")
    assert done.returncode == 0, done.stderr
    nodes, _ = parse_mermaid(done.stdout)
    assert ["y = t5", "= 11.7", "y_bar = 1"] in nodes.values()


def test_cli_graph_keeps_the_functions_prints_out_of_the_graph(tmp_path):
    (tmp_path / "talk.py").write_text(textwrap.dedent("""\
        def f(x):
            print("hello")
            return x * x
        """))
    done = run("graph", "talk.py:f", "--at", "3.0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    parse_dot(done.stdout)
    assert "hello" in done.stderr


@pytest.mark.skipif(os.name == "nt", reason="the fake dot is a POSIX script")
def test_cli_graph_png_through_dot(tmp_path):
    _fake_dot(tmp_path)
    target = tmp_path / "f.png"
    done = run("graph", LECTURE, "--at", "2,5", "--png", str(target), path=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {target}\n"
    assert "x1_bar = 5.5" in target.read_text()


def test_cli_graph_png_without_graphviz_exits_1_naming_it(tmp_path):
    target = tmp_path / "f.png"
    done = run("graph", LECTURE, "--png", str(target), path=str(tmp_path))
    assert_clean_error(done, 1, "Graphviz", "'dot'")
    assert not target.exists()


def test_cli_graph_usage_errors_exit_2():
    assert_clean_error(run("graph", LECTURE, "--png", "f.png", "--format", "mermaid"), 2,
                       "--png")
    assert_clean_error(run("graph", LECTURE, "--at", "1,2,3"), 2, "does not fit")
    assert_clean_error(run("graph", "examples/lecture.py:nope"), 2, "no function")


def test_cli_graph_a_failing_function_is_one_message_at_its_line(tmp_path):
    (tmp_path / "bad.py").write_text("def f(x, y):\n    return x / y\n")
    done = run("graph", "bad.py:f", "--at", "1.0,0.0", cwd=tmp_path)
    assert_clean_error(done, 1, "ZeroDivisionError", "bad.py:2", "return x / y")


def test_the_drawn_mermaid_block_of_the_docs_is_what_graph_prints():
    page = (REPO / "docs" / "graph-and-check.md").read_text()
    drawn = re.search(r"```mermaid\n(.*?)```\n", page, re.S).group(1)
    assert drawn == s2sad.graph(lecture_f, 2.0, 5.0, format="mermaid").mermaid()
    assert "(graph-and-check.md)" in (REPO / "docs" / "guide.md").read_text()


def nested(x, n):
    s = 0.0
    for i in range(n):
        if i < 2:
            s = s + x
    return s


def test_values_go_only_on_the_side_that_ran():
    # What a trace that lists the rows of a branch would give: the graph must write each on
    # the side that ran only, including result_2, which both sides assign.
    from s2sad.graphs import annotate

    structure = s2sad.graph(huber)
    values = {"r": 0.3, "delta": 1.0, "t1": 0.3, "t2": True, "t3": 0.15, "result": 0.045,
              "result_2": 0.045}
    drawn = annotate(structure, values, {"r": 0.3}, [0.045], [1.0])
    assert [c.taken for c in drawn.clusters] == [True, False]
    shown = {n.label: n.value for n in drawn.nodes if n.value is not MISSING}
    assert shown == {"r": 0.3, "delta": 1.0, "t1 = np.abs(r)": 0.3, "t2 = t1 <= delta": True,
                     "t3 = 0.5 * r": 0.15, "result = t3 * r": 0.045,
                     "result_2 = result": 0.045, "y = result_2": 0.045}


def test_a_branch_inside_a_loop_is_never_marked():
    from s2sad.graphs import annotate

    structure = s2sad.graph(nested)
    assert [c.label for c in structure.clusters] == ["for i in range(n)", "if t1", "else"]
    drawn = annotate(structure, {"x": 0.5, "n": 3, "t1": False}, {}, [1.0], [1.0])
    assert [c.taken for c in drawn.clusters] == [None, None, None]
    assert all(n.value is MISSING for n in drawn.nodes if n.in_loop)
    real = s2sad.graph(nested, 0.5, 3)
    assert real.node("y").value == 1.0 and real.node("x").adjoint == 2.0


def two_named(x):
    y1 = x * 2.0
    y2 = x + 1.0
    return y1, y2


def test_outputs_are_named_apart_from_the_functions_variables():
    drawn = s2sad.graph(two_named, 1.0)
    assert [o.label for o in drawn.outputs()] == ["out1 = y1", "out2 = y2"]
    assert [o.value for o in drawn.outputs()] == [2.0, 2.0]


def test_deep_code_gets_a_graph(tmp_path):
    terms = 400  # deeper than Python's recursion limit lets a plain walk go
    path = tmp_path / "deep_sum.py"
    path.write_text(
        "def deep(x):\n    return " + " + ".join(f"x * {i}.0" for i in range(terms)) + "\n")
    deep = runpy.run_path(str(path))["deep"]
    drawn = s2sad.graph(deep, 1.5)
    assert len(drawn.nodes) == 1 + (2 * terms - 1) + 1
    assert drawn.node("x").adjoint == pytest.approx(sum(range(terms)), rel=1e-14)


def shout(x):
    print("it's #1 <ok> & more")
    return x * 2.0


def test_quotes_hashes_and_brackets_survive_both_formats():
    drawn = s2sad.graph(shout)
    label = drawn.nodes[1].label
    assert label == 'print("it\'s #1 <ok> & more")'
    nodes, _, _ = parse_dot(drawn.dot())
    assert nodes["n1"][0] == [label]
    assert '"n1" [label="print(\\"it\'s #1 <ok> & more\\")"' in drawn.dot()
    mermaid, _ = parse_mermaid(drawn.mermaid())
    assert mermaid["n1"] == ["print(#quot;it's #35;1 #lt;ok#gt; #amp; more#quot;)"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("function, args", [
    (lecture_f, (2.0, 5.0)), (horner, (1.5, np.array([2.0, -3.0, 0.5, 1.0]))),
    (huber, (-2.0, 1.0)), (newton_sqrt, (2.0,)), (nested, (0.5, 3)), (shout, ())])
def test_graphviz_itself_reads_the_dot_text(function, args, tmp_path):
    drawn = s2sad.graph(function, *args)
    done = subprocess.run(["dot", "-Tsvg"], input=drawn.dot(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.count('class="node"') == len(drawn.nodes)
    drawn.render(tmp_path / "f.svg", "svg")
    assert (tmp_path / "f.svg").read_text() == done.stdout
    assert drawn._repr_svg_() == done.stdout
    assert drawn._repr_mimebundle_() == {"image/svg+xml": done.stdout}


def as_dict(x, y):
    return {"a": x * y, "b": np.sin(x)}


def test_each_leaf_of_a_container_output_is_a_node():
    drawn = s2sad.graph(as_dict, 1.0, 2.0)
    assert [(o.label, o.value, o.adjoint) for o in drawn.outputs()] == [
        ("out1 = t1", 2.0, 1.0), ("out2 = t2", math.sin(1.0), 1.0)]  # y is a parameter
    assert drawn.node("x").adjoint == pytest.approx(2.0 + math.cos(1.0), rel=1e-14)
