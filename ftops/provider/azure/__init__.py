"""Azure OpenAI: the OpenAI adapter with Azure's client, names and hosting (``adapter``)."""
