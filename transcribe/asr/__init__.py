"""Stage 2, ASR: speech to time-coded segments with word timings, streamed in windows.

In: blocks of 16 kHz PCM (:func:`transcribe.media.stream`) or a whole
:class:`transcribe.media.Audio`. Out: :class:`transcribe.model.Transcript`.

Where each job lives:

* :mod:`.engines`: the :class:`Engine` protocol; ``--engine``/``--model`` to a loaded
  engine (:func:`load_engine`), the bundled model and its checksum, devices, the checks
  made before any work.
* :mod:`.faster`: the default engine, faster-whisper (CTranslate2), batched.
* :mod:`.openai_engine`: the reference engine, openai-whisper (PyTorch), on the same
  weights converted by :mod:`.ct2` (reading CTranslate2's ``model.bin``).
* :mod:`.stream`: windowing and streaming: packing speech into chunks, cutting windows in
  silences, the resume unit :class:`Window`; :func:`transcribe_stream`.
* :mod:`.vad`: Silero VAD, once per 30 s block of the stream (:class:`SpeechFinder`).
* :mod:`.loops`: Whisper's decoding loops found and cut.
* :mod:`.checks`: the user's hints (``--initial-prompt``, ``--hotwords``), prompt echoes,
  sub-word joining, the forced-language and low-confidence warnings.

The names below are the stage's public interface; import them from ``transcribe.asr``.
"""

from __future__ import annotations

from transcribe.asr.checks import Hints
from transcribe.asr.engines import (BUNDLED_MODEL, BUNDLED_SHA256, ENGINES, Engine, bundled_model_files,
                                    cache_directory, check_engine, check_language, load_engine, load_model,
                                    model_directory, model_identity, pick_device)
from transcribe.asr.faster import BATCH_SIZE, BEAM_SIZE, FALLBACK_TEMPERATURES, FasterWhisperEngine
from transcribe.asr.loops import compression_ratio, cut_loops, find_loop, is_looping
from transcribe.asr.stream import (CUT_RULE, DETECT_WINDOW_S, LOOKAHEAD_S, MAX_CHUNK_S, MAX_GAP_S, PROMPTS,
                                   WINDOW_S, Window, choose_cut, decode_window, pack_chunks, transcribe,
                                   transcribe_stream)
from transcribe.asr.vad import VAD_BLOCK_S, SpeechFinder, speech_pieces
from transcribe.media import SAMPLE_RATE
from transcribe.model import MIN_SPEECH_S, TRANSCRIPT_VERSION, Segment, Transcript, Word

__all__ = ["BATCH_SIZE", "BEAM_SIZE", "BUNDLED_MODEL", "BUNDLED_SHA256", "CUT_RULE", "DETECT_WINDOW_S", "ENGINES",
           "FALLBACK_TEMPERATURES", "LOOKAHEAD_S", "MAX_CHUNK_S", "MAX_GAP_S", "MIN_SPEECH_S", "PROMPTS",
           "SAMPLE_RATE", "TRANSCRIPT_VERSION", "VAD_BLOCK_S", "WINDOW_S", "Engine", "FasterWhisperEngine", "Hints", "Segment", "SpeechFinder",
           "Transcript", "Window", "Word", "bundled_model_files", "cache_directory", "check_engine",
           "check_language", "choose_cut", "compression_ratio", "cut_loops", "decode_window", "find_loop",
           "is_looping", "load_engine", "load_model", "model_directory", "model_identity", "pack_chunks",
           "pick_device", "speech_pieces", "transcribe", "transcribe_stream"]
