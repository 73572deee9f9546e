"""The sha256 of a stream, hashed beside the work that produces it.

A streamed data migration hashes every byte twice (the original, which names
the journal's copy, and the result, which rollback checks the file against),
and the hashing is a sixth of its time. hashlib releases the GIL while it
hashes a large buffer, so a thread can hash while the stream parses the
next lines: the bytes are handed over in batches of a megabyte (one
hand-over, one hash call each: a hash call per small block would wait for
the GIL each time), and a stream shorter than a batch is hashed in the
caller, with no thread at all.
"""

from __future__ import annotations

import hashlib
import queue
import threading

BATCH = 1 << 20


class StreamDigest:
    """sha256 of the bytes given to :meth:`update`, in order."""

    def __init__(self) -> None:
        self._hasher = hashlib.sha256()
        self._pending: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] | None = None
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    def update(self, data: bytes) -> None:
        self._pending.append(data)
        self._size += len(data)
        if self._size >= BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._failed is not None:
            raise self._failed
        batch = b"".join(self._pending)
        self._pending, self._size = [], 0
        if self._queue is None:
            # Two batches at most wait for the thread: memory stays bounded
            # when the hashing falls behind (put then waits, without the GIL).
            self._queue = queue.Queue(maxsize=2)
            self._thread = threading.Thread(target=self._run, args=(self._queue,), name="digest", daemon=True)
            self._thread.start()
        self._queue.put(batch)

    def _run(self, batches: queue.Queue[bytes | None]) -> None:
        try:
            while (batch := batches.get()) is not None:
                self._hasher.update(batch)
        except BaseException as exc:  # raised by the caller: a digest of part of the stream is no digest
            self._failed = exc
            while batches.get() is not None:  # what is still handed over, until the end
                pass

    def close(self) -> None:
        """Finish the hashing thread (if one runs); the digest is then
        complete. What failed in the thread (a MemoryError) is raised here,
        as it would have been had the caller hashed the bytes itself."""
        self.abandon(keep=True)
        if self._failed is not None:
            raise self._failed

    def abandon(self, keep: bool = False) -> None:
        """End the hashing thread without raising (the caller is already
        raising); with ``keep``, every byte given is hashed first."""
        if self._queue is not None and self._thread is not None:
            if self._pending and keep and self._failed is None:
                batch, self._pending, self._size = b"".join(self._pending), [], 0
                self._queue.put(batch)
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
        if keep and self._failed is None:
            for data in self._pending:
                self._hasher.update(data)
        self._pending, self._size = [], 0

    def hexdigest(self) -> str:
        self.close()
        return self._hasher.hexdigest()
