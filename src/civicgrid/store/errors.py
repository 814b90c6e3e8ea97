"""The store's errors: conflicts, unknown streams, unusable files, failed storage, reused keys."""

from __future__ import annotations

from civicgrid.errors import CivicGridError

__all__ = [
    "ConcurrencyConflict",
    "KeyConflict",
    "SchemaError",
    "StorageFault",
    "StoreError",
    "UnknownStream",
]


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


class StorageFault(StoreError):
    """The storage under a store failed; ``where`` names the file or server, ``fault`` what.

    ``fault`` is one of :data:`FAULTS`: ``"full"`` (the disk is full), ``"read-only"`` (the
    file, its directory or filesystem cannot be written, or the store was opened read-only),
    ``"corrupt"`` (the file is damaged or is not a database), ``"locked"`` (another process
    held the write lock longer than the store's timeout), ``"io"`` (the operating system
    reported an input/output error, or the file cannot be opened) and ``"connection"`` (the
    connection to the server was lost or cannot be made). ``detail`` is the driver's words.

    For every fault but ``"connection"``, nothing of the failed write was stored. A connection
    lost while a write was committing leaves it unknown whether the write was stored: retry it
    with the same idempotency ``key`` (see :class:`~civicgrid.store.protocol.EventStore`),
    which stores it once whatever happened to the first attempt. The store reconnects on the
    next call.
    """

    FAULTS = ("full", "read-only", "corrupt", "locked", "io", "connection")

    def __init__(
        self, where: str, fault: str, message_en: str, message_zh: str, detail: str
    ) -> None:
        self.where = where
        self.fault = fault
        self.detail = detail
        super().__init__(f"{where}: {message_en} ({detail})", f"{where}：{message_zh}（{detail}）")


class KeyConflict(StoreError, ValueError):
    """An idempotency key already committed with a different write was given again.

    A retry must repeat its first attempt exactly (the same streams, expected versions and
    records); a key reused for anything else is refused and nothing is stored.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already committed with a different write "
            "(other streams, expected versions or records); nothing was stored",
            f"幂等键 {key!r} 已用于另一项不同的写入（数据流、预期版本或记录不同）；本次未保存",
        )
