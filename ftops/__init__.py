"""ftops: declarative, idempotent fine-tuning for OpenAI and Azure OpenAI.

Datasets, fine-tuning jobs and active models are declared in YAML manifests;
``ftops plan`` shows what would change and ``ftops apply`` makes it so.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
