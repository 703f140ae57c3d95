"""Run the code blocks of a markdown page and fill (or check) their output blocks.

Conventions in the markdown:
  <!-- file: NAME.py -->   the next python block is saved as NAME.py (a module) and not run
  <!-- norun -->           the next block is not run (an excerpt)
  <!-- cwd: repo -->       run the next block in the repository snapshot instead of the demo dir
  <!-- stderr -->          merge stderr into the output
A python or bash block that runs is followed by an optional line "Output:" and a ```text block,
which is replaced by what the block printed.
Usage: python scripts/rundocs.py docs/PAGE.md [--check]   (--check: exit 1 if an output differs)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

DEMO = os.path.join(tempfile.gettempdir(), "demo")  # snippets print this path in errors
REPO = os.environ.get("DOCS_REPO", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=f"{REPO}:{DEMO}", S2SAD_CACHE_DIR=f"{DEMO}/cache",
           PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
           PYTHONHASHSEED="0", COLUMNS="100")
ENV.pop("S2SAD_CACHE", None)

FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```\n", re.S | re.M)


def main(page, check=False):
    text = open(page).read()
    blocks = list(FENCE.finditer(text))
    out = []
    pos = 0
    pending = None  # output to put into the next text block
    directives = {}
    changed = False
    n = 0
    for i, m in enumerate(blocks):
        indent, lang, raw = m.group(1), m.group(2), m.group(3)
        body = "".join(line[len(indent):] if line.startswith(indent) else line
                       for line in raw.splitlines(True))
        before = text[pos:m.start()]
        out.append(before)
        for d in re.findall(r"<!-- (\w+)(?::\s*(\S+))? -->", before):
            directives[d[0]] = d[1] or True
        if lang == "text" and pending is not None:
            new = pending
            if check and new != body:
                print(f"MISMATCH in {page} block {i}:\n--- doc\n{body}--- real\n{new}")
                changed = True
            indented = "".join((indent + line) if line.strip() else line
                               for line in new.splitlines(True))
            out.append(indent + "```text\n" + indented + indent + "```\n")
            pending = None
        elif lang in ("python", "bash") and not directives.get("norun"):
            n += 1
            cwd = REPO if directives.get("cwd") == "repo" else DEMO
            if lang == "python" and directives.get("file"):
                with open(os.path.join(DEMO, directives["file"]), "w") as fh:
                    fh.write(body)
                pending = None
            else:
                if lang == "python":
                    name = directives.get("as") or f"snippet_{os.path.basename(page)[:-3]}_{n}.py"
                    path = os.path.join(DEMO, name)
                    with open(path, "w") as fh:
                        fh.write(body)
                    cmd = [sys.executable, name]
                else:
                    cmd = ["bash", "-c", body]
                stderr = subprocess.STDOUT if directives.get("stderr") else subprocess.PIPE
                proc = subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                                      stderr=stderr, text=True)
                if proc.returncode != 0 and not directives.get("stderr") and lang == "python":
                    print(f"FAILED {page} block {i} ({name}):\n{proc.stderr}")
                    changed = True
                if proc.stderr and not directives.get("stderr"):
                    sys.stderr.write(f"[stderr of block {i}]\n{proc.stderr}")
                pending = proc.stdout
                if pending and not pending.endswith("\n"):
                    pending += "\n"
            out.append(m.group(0))
        else:
            out.append(m.group(0))
            pending = None
        if lang != "text" or True:
            directives = {} if lang != "text" else directives
        pos = m.end()
    out.append(text[pos:])
    if not check:
        open(page, "w").write("".join(out))
    print(f"{page}: {n} blocks run" + (", differences found" if changed else ""))
    return 1 if changed else 0


if __name__ == "__main__":
    os.makedirs(DEMO, exist_ok=True)
    shutil.rmtree(os.path.join(DEMO, "cache"), ignore_errors=True)
    sys.exit(main(sys.argv[1], "--check" in sys.argv))
