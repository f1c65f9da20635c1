"""Together's objects in the emulator's store: their own tables in the same SQLite database.

Together is another account on another service, so its files and jobs never show
in the OpenAI listings (nor the reverse); the tables are added beside the
OpenAI ones (``CREATE ... IF NOT EXISTS``), which older data folders accept as
they are. Events and checkpoints are not stored: they are a pure function of a
job's plan, its creation time and its cancellation (``ftops.emulator.together.jobs``).
"""

from __future__ import annotations

from ftops.emulator.store import Store

_STATEMENTS = (
    """CREATE TABLE IF NOT EXISTS together_files (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        purpose TEXT NOT NULL,
        file_type TEXT NOT NULL,
        checksum TEXT,                 -- sha256 hex the client announced (the SDK's upload flow)
        bytes INTEGER NOT NULL,
        created_at REAL NOT NULL,
        upload_token TEXT,             -- the secret in the upload URL handed out for the PUT
        uploaded INTEGER NOT NULL,     -- 0 until the bytes arrived (the PUT of the SDK's flow)
        deleted INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS together_files_checksum ON together_files (checksum, deleted)",
    """CREATE TABLE IF NOT EXISTS together_jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,            -- the accepted request, normalised (JSON)
        plan TEXT NOT NULL,            -- the neutral simulated run (lifecycle.JobPlan, JSON)
        created_at REAL NOT NULL,
        speed REAL NOT NULL,
        cancelled_at REAL,             -- when cancel was requested
        deleted INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS together_jobs_model "
    "ON together_jobs (json_extract(plan, '$.fine_tuned_model'))",
    # Dedicated endpoints (v2): a named entry point of a project, and the deployments that run a
    # model on hardware behind it (ftops.emulator.together.endpoints).
    """CREATE TABLE IF NOT EXISTS together_endpoints (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,            -- bare; the API shows <project_id>/<name>
        visibility TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS together_deployments (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        endpoint_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        model TEXT NOT NULL,           -- the model id it serves
        hardware TEXT NOT NULL,        -- an id of the hardware listing
        replicas INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        ready_at REAL NOT NULL,        -- PROVISIONING until then
        deleted INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS together_deployments_endpoint ON together_deployments (endpoint_id, deleted)",
)


def ensure_tables(store: Store) -> None:
    with store.transaction() as conn:
        for statement in _STATEMENTS:
            conn.execute(statement)
