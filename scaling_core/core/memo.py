"""Memoisation of pure functions by the content of their inputs, for what a page recomputes on every run.

A page's session gets its inputs as fresh copies each run (Streamlit's `st.cache_data` hands out copies; a link or
a widget rebuilds the state), so caching by identity misses, and numpy arrays and DataFrames cannot be hashed.
`memoized` keys a call on a cryptographic digest of its arguments' exact content instead: numbers by their exact
`repr`, strings, tuples, lists, dicts, frozen dataclasses field by field, numpy arrays by dtype, shape and bytes,
DataFrames and Series by their labels, dtypes and values. An argument it cannot encode (an arbitrary object, a
callable) makes the call run uncached. A result is shared between sessions: a DataFrame (or Series, or array) is
returned as a copy, so a caller that changes it changes only its own; other results must be immutable (numbers,
strings, frozen dataclasses, tuples of them).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

T = TypeVar("T")


class Unencodable(TypeError):
    """An argument whose content `digest` cannot encode exactly."""


def _encode(value: Any, out: Callable[[bytes], None]) -> None:
    """Feed an exact, unambiguous encoding of value's content to out (type-tagged, lengths before contents)."""
    if value is None or isinstance(value, bool | int | float | complex | enum.Enum | np.generic):
        out(f"{type(value).__module__}.{type(value).__qualname__}:{value!r};".encode())
    elif isinstance(value, str | bytes):
        data = value.encode() if isinstance(value, str) else value
        out(f"{type(value).__name__}:{len(data)}:".encode() + data)
    elif isinstance(value, tuple | list) and value and all(type(item) is float for item in value):  # a curve
        out(f"{type(value).__name__}-floats:{len(value)}:".encode() + np.array(value, dtype=np.float64).tobytes())
    elif isinstance(value, tuple | list) and value and all(type(item) is int for item in value):
        out(f"{type(value).__name__}-ints:{len(value)}:{','.join(map(str, value))};".encode())
    elif isinstance(value, tuple | list | frozenset | set):
        items = sorted(value, key=repr) if isinstance(value, frozenset | set) else value
        out(f"{type(value).__name__}:{len(items)}[".encode())
        for item in items:
            _encode(item, out)
        out(b"]")
    elif isinstance(value, dict):
        out(f"dict:{len(value)}{{".encode())
        for key, item in value.items():
            _encode(key, out)
            _encode(item, out)
        out(b"}")
    elif isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            items = value.tolist()
            if value.ndim == 1 and all(type(item) is str for item in items):  # a text column, in one piece
                texts = [item.encode() for item in items]
                lengths = np.array([len(text) for text in texts], dtype=np.int64).tobytes()
                out(f"texts:{len(texts)}:".encode() + lengths + b"".join(texts))
            else:
                out(f"objects:{value.shape}".encode())
                _encode(items, out)
        else:
            out(f"array:{value.dtype.str}:{value.shape}:".encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, pd.Index):
        out(f"index:{type(value).__name__}:{value.dtype!r}:{value.names!r}".encode())
        _encode(value.to_numpy(), out)
    elif isinstance(value, pd.Series):
        out(f"series:{value.name!r}:{value.dtype!r}".encode())
        _encode(value.index, out)
        _encode(value.to_numpy(), out)
    elif isinstance(value, pd.DataFrame):
        out(f"frame:{value.shape}:{dict(value.attrs)!r}".encode())
        _encode(value.index, out)
        _encode(value.columns, out)
        for _, column in value.items():
            out(f"{column.dtype!r}".encode())
            _encode(column.to_numpy(), out)
    elif (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and getattr(type(value), "__dataclass_params__").frozen  # noqa: B009 (a dataclass attribute mypy does not know)
    ):
        out(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
        for field in dataclasses.fields(value):
            _encode(getattr(value, field.name), out)
        out(b")")
    else:
        raise Unencodable(f"cannot key a memo on a {type(value).__qualname__}")


def digest(*values: Any) -> bytes:
    """A 32-byte digest of the values' exact content (Unencodable for a value it cannot encode)."""
    hasher = hashlib.blake2b(digest_size=32)
    _encode(values, hasher.update)
    return hasher.digest()


def _copied(value: T) -> T:
    """A copy of a mutable pandas or numpy result; any other result as it is."""
    return cast(T, value.copy()) if isinstance(value, pd.DataFrame | pd.Series | np.ndarray) else value


def memoized(maxsize: int = 32) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a pure function: calls with equal content (`digest`) share one result, the `maxsize` most recently
    used kept per process. Thread-safe (every session runs in a thread of the server); exceptions are not kept."""

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        kept: OrderedDict[bytes, T] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                key = digest(args, sorted(kwargs.items()))
            except Unencodable:
                return function(*args, **kwargs)
            with lock:
                if key in kept:
                    kept.move_to_end(key)
                    return _copied(kept[key])
            result = _copied(function(*args, **kwargs))  # kept apart from anything the function returned
            with lock:
                kept[key] = result
                while len(kept) > maxsize:
                    kept.popitem(last=False)
            # Every caller, the first included, gets a copy of the one kept: copies of one frame pickle alike (a
            # copy's text columns do not pickle as the original's), so what keys on a pickle keeps hitting.
            return _copied(result)

        wrapper.cache_clear = kept.clear  # type: ignore[attr-defined]
        return wrapper

    return decorate
