"""Base-model lifecycle (issue 10) beyond what the service lists: each provider's end date
for new fine-tuning jobs (``cutoffs``, kept as data), which base models it fine-tunes
(``catalogue``, kept as data, for refusing a misspelled model before any upload) and, for
each answer of the service that ends a job before it trains, one line naming the cause and
what to do (``refusals``).

See docs/lifecycle.md for the whole story: shutdown dates, warnings, refusals, successors.
"""
