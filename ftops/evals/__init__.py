"""Evaluations: the cases of an eval file, how an answer is graded, and how answers are asked for.

An eval file is JSONL, one case per line: ``messages`` plus what a good answer is
(docs/evaluations.md). ``cases`` reads and checks it (streaming, with file:line),
``graders`` decides whether one answer passes, ``sampling`` asks a model for
answers with fixed parameters, and ``answers`` keeps them append-only on disk.
"""
