"""transcribe: recorded talks to time-coded markdown chapter notes, offline.

Pipeline, one module per stage: :mod:`media` -> :mod:`asr` -> :mod:`sentences`
-> :mod:`chapters` -> :mod:`summaries` -> :mod:`render`; :mod:`pipeline` joins
them and :mod:`cli` is the command line.
"""

__version__ = "0.1.0"
