"""The store's errors: a conflict between writers, an unknown stream, a file it cannot use."""

from __future__ import annotations

from civicgrid.errors import CivicGridError

__all__ = ["ConcurrencyConflict", "SchemaError", "StoreError", "UnknownStream"]


class StoreError(CivicGridError):
    """Something went wrong reading or writing an event store; nothing was written."""


class ConcurrencyConflict(StoreError, RuntimeError):
    """A stream was not at the version the writer expected: another writer got there first.

    Nothing of the refused write is stored (in an ``append_many``, nothing of any stream).
    Reload the stream, decide again, and append with the version now read.
    """

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream!r} is at version {actual}, not the expected {expected}: "
            "another writer appended first; nothing was stored",
            f"数据流 {stream!r} 当前版本为 {actual}，而非预期的 {expected}：已有其他写入在先，"
            "本次写入未保存",
        )


class UnknownStream(StoreError, LookupError):
    """A stream that holds no records was asked to be loaded."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        super().__init__(f"no stream {stream!r} in the store", f"存储中没有数据流 {stream!r}")


class SchemaError(StoreError, ValueError):
    """A store file cannot be used: a newer schema than this library knows, or not a store.

    ``found`` is the schema version recorded in the file (``None`` when there is none) and
    ``supported`` the newest this library can read and migrate to.
    """

    def __init__(
        self, path: str, found: int | None, supported: int, message_en: str, message_zh: str
    ) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(f"{path}: {message_en}", f"{path}：{message_zh}")
