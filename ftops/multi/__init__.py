"""Several providers in one project (``providers:`` aliases) and moving jobs between them:
the project cut into one part per alias (``partition``), each planned as usual and put together
(``plan``), each part's steps run against its own provider and records (``journal``)."""
