"""StreamDigest is sha256 of the bytes given, in order, however they are cut:
below one batch (hashed in the caller), across many (hashed in a thread),
and with close() called once or more."""

from __future__ import annotations

import hashlib
import threading

from hypothesis import given, settings, strategies as st

from migrator import hashing
from migrator.hashing import StreamDigest


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=300_000), max_size=12), st.integers(min_value=1, max_value=255))
def test_the_digest_of_the_bytes_given(sizes: list[int], seed: int) -> None:
    parts = [bytes([(seed + i) % 256]) * size for i, size in enumerate(sizes)]
    digest = StreamDigest()
    for part in parts:
        digest.update(part)
    assert digest.hexdigest() == hashlib.sha256(b"".join(parts)).hexdigest()


def test_many_batches_are_hashed_in_one_thread_that_ends() -> None:
    block = bytes(range(256)) * 1024  # 256 KiB
    digest = StreamDigest()
    before = threading.active_count()
    for _ in range(4 * hashing.BATCH // len(block) + 3):
        digest.update(block)
    assert threading.active_count() == before + 1  # one thread, started past the first batch
    expected = hashlib.sha256(block * (4 * hashing.BATCH // len(block) + 3)).hexdigest()
    assert digest.hexdigest() == expected
    assert threading.active_count() == before
    digest.close()  # again: nothing left to do
    assert digest.hexdigest() == expected


def test_a_short_stream_starts_no_thread() -> None:
    digest = StreamDigest()
    before = threading.active_count()
    digest.update(b"x" * 1000)
    assert threading.active_count() == before
    assert digest.hexdigest() == hashlib.sha256(b"x" * 1000).hexdigest()


def test_a_failure_in_the_thread_is_raised_not_a_digest_of_part() -> None:
    class Failing(StreamDigest):
        def __init__(self) -> None:
            super().__init__()
            real = self._hasher

            class Hasher:
                def update(self, data: bytes) -> None:
                    raise MemoryError

                def hexdigest(self) -> str:
                    return real.hexdigest()

            self._hasher = Hasher()  # type: ignore[assignment]

    digest = Failing()
    before = threading.active_count()
    try:  # raised by a later update, or at the end, as the thread got to it
        for _ in range(3):
            digest.update(b"x" * hashing.BATCH)
        digest.hexdigest()
    except MemoryError:
        digest.abandon()  # as the stream does when it raises
    else:
        raise AssertionError("a digest of part of the stream")
    assert threading.active_count() == before


def test_abandon_ends_the_thread_without_raising() -> None:
    digest = StreamDigest()
    before = threading.active_count()
    digest.update(b"y" * (2 * hashing.BATCH))
    assert threading.active_count() == before + 1
    digest.abandon()
    assert threading.active_count() == before
