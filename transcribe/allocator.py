"""glibc malloc settings for the ASR hot path (the rest of the program does not care).

CTranslate2 allocates and frees its activations (hundreds of MB per batch: the encoder's
attention matrices) on every call. With glibc's defaults each of these large blocks is a
fresh ``mmap`` whose pages fault in again: 1.8 million page faults and 5 s of system time
per 240 s window on 2 cores. :func:`keep_freed_memory` makes malloc keep and reuse them
(72 thousand faults, about 25 % less ASR time); the command line applies it for the
faster-whisper engine only (openai-whisper's PyTorch ran 20 % slower with it, at 700 MB
more peak memory). :func:`release_freed_memory` hands what is
free back to the kernel once transcription is over, so that the notes stage does not stack
its own memory on top of the ASR stage's freed blocks. Both are no-ops where the C library
is not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import ctypes

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8  # glibc <malloc.h>


def _libc():
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both exist only in glibc)
        return libc
    except (OSError, AttributeError):
        return None


def keep_freed_memory() -> bool:
    """One malloc arena, no ``mmap`` for large blocks, no trimming (``mallopt(3)``:
    M_ARENA_MAX 1, M_MMAP_MAX 0, M_TRIM_THRESHOLD 2 GiB), so freed blocks are reused
    instead of being unmapped and faulted in again. Call before the process starts threads
    (the arena limit is fixed when the second thread first allocates). Returns whether it applied.
    """
    libc = _libc()
    if libc is None:
        return False
    return all(libc.mallopt(option, value) == 1 for option, value in
               ((M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1)))


def release_freed_memory() -> None:
    """Return malloc's free pages to the kernel (``malloc_trim(0)``); call when a stage
    that allocated a lot (ASR) is over."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
