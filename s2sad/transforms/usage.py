"""Use and assignment counts and substitution: what every optimizer pass reads."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

from ..ir import (
    Copy,
    For,
    Function,
    If,
    Op,
    Var,
    While,
    rewrite,
    targets,
    walk,
)

TEMP = re.compile(r"t\d+$")
VERSION = re.compile(r"_(\d+)$")
COMPOUND = (If, For, While)


def counts_of(fn: Function) -> tuple:
    """(uses, assigned): how many times each name is read, and assigned (a parameter counts
    as one assignment)."""
    reads: list = []
    writes = list(fn.params)
    read, write = reads.append, writes.append
    for stmt in walk(fn.body):
        kind = type(stmt)
        if kind is Op:
            write(stmt.target)
            for atom in stmt.args:
                if type(atom) is Var:
                    read(atom.name)
            for _, atom in stmt.kwargs:
                if type(atom) is Var:
                    read(atom.name)
        elif kind is Copy:
            write(stmt.target)
            if type(stmt.value) is Var:
                read(stmt.value.name)
        else:
            writes.extend(targets(stmt))
            reads.extend(a.name for a in stmt.atoms() if type(a) is Var)
    return Counter(reads), Counter(writes)


class Counts:
    """The counts (see `counts_of`) of the last function body asked for: a pass that changes
    nothing leaves the body as it was, and the next pass need not count again."""

    def __init__(self):
        self.body = None
        self.value = None

    def __call__(self, fn: Function) -> tuple:
        if fn.body is not self.body:
            self.body, self.value = fn.body, counts_of(fn)
        return self.value


def sub_atom(atom, mapping: dict):
    if type(atom) is Var:
        return mapping.get(atom.name, atom)
    return atom


def stack_name(name: str, mapping: dict) -> str:
    value = mapping.get(name)
    return value.name if type(value) is Var else name


def substituted(stmt, mapping: dict, names: dict | None = None):
    """`stmt` with the variables it reads replaced via `mapping` (name -> atom) and, when
    `names` is given, the names it assigns renamed via `names` (name -> name). Nested blocks
    are left as they are (see `map_block`); an untouched statement is returned itself."""
    names = names or {}
    if type(stmt) is Op:  # most statements: look at them without the generic rewrite
        for atom in stmt.args:
            if type(atom) is Var and atom.name in mapping:
                break
        else:
            if stmt.target not in names and not any(
                type(a) is Var and a.name in mapping for _, a in stmt.kwargs
            ):
                return stmt
    return rewrite(stmt, lambda atom: sub_atom(atom, mapping), lambda name: names.get(name, name),
                   lambda stack: names.get(stack, stack_name(stack, mapping)))


def replaced(fn: Function, body: list) -> Function:
    return fn if body is fn.body else dataclasses.replace(fn, body=body)
