"""The bytes of a disk cache entry: its file name, its signed header, and the checks a read
entry must pass before the loader may run it.

An entry is ``# s2sad-cache HMAC {header}`` on the first line, then the generated code. The
HMAC-SHA256 (keyed by the folder's secret, see :mod:`.cachefiles`) covers every byte after it;
the JSON header names the format, the s2sad version, the key, the function and its metadata,
and a SHA-256 of the content that tells an accidental corruption from a forgery.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from ..version import __version__

CACHE_FORMAT = 3
HEADER_PREFIX = "# s2sad-cache "
_SIGNATURE_HEX = 64  # an HMAC-SHA256 in hexadecimal

#: An entry of some s2sad version, and the name entries had before versions were in it.
ENTRY_NAME = re.compile(r"(?P<version>[0-9A-Za-z.+_]+)-(?P<key>[0-9a-f]{64})\.py")
LEGACY_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.py")


@dataclass(frozen=True)
class Entry:
    """What a cache entry holds."""

    name: str
    source: str
    meta: dict


class BadSignature(Exception):
    """The HMAC of an entry is missing or wrong. `forged` is true when the content hash
    matches, so the file is not damaged but was written with another key, by someone else."""

    def __init__(self, forged: bool):
        super().__init__("HMAC mismatch")
        self.forged = forged


def entry_name(key: str) -> str:
    """The file name of the entry for `key`: the s2sad version, then the key."""
    return f"{re.sub(r'[^0-9A-Za-z.+]', '_', __version__)}-{key}.py"


def sign(secret: bytes, payload: bytes) -> str:
    """The HMAC-SHA256 of `payload` keyed by `secret`, in hexadecimal."""
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


def content_hash(name, meta, body: str) -> str:
    """SHA-256 of the name, metadata and code (tells an accidental corruption from a forgery;
    only the HMAC makes an entry trusted)."""
    header = json.dumps({"name": name, "meta": meta}, sort_keys=True)
    return hashlib.sha256((header + "\n" + body).encode()).hexdigest()


def serialize(secret: bytes, key: str, entry: Entry) -> bytes:
    """The bytes of an entry: ``# s2sad-cache HMAC {header}`` on the first line, then the
    code; the HMAC covers every byte after it."""
    info = {"format": CACHE_FORMAT, "key": key, "version": __version__, "name": entry.name,
            "meta": entry.meta, "sha256": content_hash(entry.name, entry.meta, entry.source)}
    payload = (json.dumps(info, sort_keys=True) + "\n" + entry.source).encode("utf-8")
    return HEADER_PREFIX.encode() + sign(secret, payload).encode() + b" " + payload


def authenticate(secret: bytes, data: bytes) -> bytes:
    """The payload of the entry bytes `data` (what follows the HMAC) if the HMAC is right for
    `secret`; raises BadSignature otherwise."""
    prefix = HEADER_PREFIX.encode()
    end = len(prefix) + _SIGNATURE_HEX
    signature, payload = data[len(prefix):end], data[end + 1:]
    if (not data.startswith(prefix) or data[end:end + 1] != b" "
            or not hmac.compare_digest(signature, sign(secret, payload).encode())):
        forged = data.startswith(prefix) and not _looks_like_plain_corruption(payload)
        raise BadSignature(forged)
    return payload


_META_LISTS = ("params", "wrt", "recursions")


def _check_meta(meta) -> None:
    if not isinstance(meta, dict):
        raise ValueError("meta is not an object")
    for name in _META_LISTS:
        items = meta.get(name)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"meta.{name} is not a list of names")
    if not set(meta["wrt"]) <= set(meta["params"]):
        raise ValueError("meta.wrt names a parameter that meta.params lacks")
    n_out = meta.get("n_out")
    if type(n_out) is not int or n_out < 0:
        raise ValueError("meta.n_out is not a count")
    if type(meta.get("tuple_out")) is not bool:
        raise ValueError("meta.tuple_out is not a boolean")
    scalar_if = meta.get("scalar_if")
    if scalar_if is not None and (
        not isinstance(scalar_if, list) or not all(isinstance(i, str) for i in scalar_if)
        or not set(scalar_if) <= set(meta["params"])
    ):
        raise ValueError("meta.scalar_if is not a list of parameters")
    aux = meta.get("aux", 0)
    if type(aux) is not int or not 0 <= aux <= n_out:
        raise ValueError("meta.aux is not a count of outputs")
    if not isinstance(meta.get("out_tree"), (dict, type(None))):
        raise ValueError("meta.out_tree is not a structure")


def parse(key: str, payload: bytes) -> Entry:
    """The entry in `payload` (authenticated already); ValueError if it is malformed (or
    TypeError, SyntaxError, RecursionError, MemoryError from decoding and compiling it)."""
    text = payload.decode("utf-8")
    header, newline, body = text.partition("\n")
    if not newline:
        raise ValueError("no code after the header")
    info = json.loads(header)
    if not isinstance(info, dict):
        raise ValueError("the header is not an object")
    if info.get("format") != CACHE_FORMAT or info.get("version") != __version__:
        raise ValueError("another format or s2sad version")
    if info.get("key") != key:
        raise ValueError("the entry of another key")
    name = info.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError("the name is not an identifier")
    _check_meta(info.get("meta"))
    if info.get("sha256") != content_hash(name, info["meta"], body):
        raise ValueError("content hash mismatch")
    tree = ast.parse(body)
    if not any(isinstance(node, ast.FunctionDef) and node.name == name for node in tree.body):
        raise ValueError(f"the code does not define {name}")
    compile(tree, "<s2sad cache entry>", "exec")  # errors ast.parse leaves to the compiler
    return Entry(name, body, info["meta"])


def _looks_like_plain_corruption(payload: bytes) -> bool:
    """True when the content hash does not match either: a damaged file, not one written
    with another key."""
    try:
        header, _, body = payload.decode("utf-8").partition("\n")
        info = json.loads(header)
        return not (isinstance(info, dict)
                    and info.get("sha256") == content_hash(info.get("name"), info.get("meta"),
                                                            body))
    except (ValueError, TypeError, RecursionError):
        return True
