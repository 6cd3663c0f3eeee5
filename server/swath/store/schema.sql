-- Swath run store. One database per workspace: .swath/swath.db (WAL).
CREATE TABLE IF NOT EXISTS runs (
  id            TEXT PRIMARY KEY,
  workflow      TEXT NOT NULL,
  status        TEXT NOT NULL,
  spec_json     TEXT NOT NULL,
  inputs_json   TEXT NOT NULL,
  paths_json    TEXT NOT NULL,
  engine        TEXT NOT NULL,
  options_json  TEXT NOT NULL DEFAULT '{}',
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  pid           INTEGER,
  report_json   TEXT
);
-- Task results, stored once by content: a cached result reused by a hundred runs (or the
-- same result in a task row and in the cache) costs its bytes once.
CREATE TABLE IF NOT EXISTS records (
  hash          TEXT PRIMARY KEY,
  record_json   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
  run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step          TEXT NOT NULL,
  key           TEXT NOT NULL,
  input_hash    TEXT NOT NULL,
  status        TEXT NOT NULL,           -- running | succeeded | failed | cancelled
  attempts      INTEGER NOT NULL DEFAULT 0,
  cached        INTEGER NOT NULL DEFAULT 0,
  record_hash   TEXT REFERENCES records(hash),  -- the Record the task produced
  error         TEXT,
  raw           TEXT,                    -- a model's last reply when its output was invalid
  usage_json    TEXT NOT NULL DEFAULT '{}',
  started_at    REAL,
  finished_at   REAL,
  PRIMARY KEY (run_id, step, key)
);
CREATE TABLE IF NOT EXISTS findings (
  run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step          TEXT NOT NULL,
  fingerprint   TEXT NOT NULL,
  path          TEXT NOT NULL,
  finding_json  TEXT NOT NULL,
  PRIMARY KEY (run_id, fingerprint)
);
CREATE INDEX IF NOT EXISTS findings_path ON findings(path);
CREATE TABLE IF NOT EXISTS audit (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id        TEXT NOT NULL,
  step          TEXT NOT NULL,
  key           TEXT NOT NULL,
  at            REAL NOT NULL,
  kind          TEXT NOT NULL,           -- tool_call | model_call | event
  detail_json   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_run ON audit(run_id);
CREATE TABLE IF NOT EXISTS cache (
  key           TEXT PRIMARY KEY,
  deps_json     TEXT NOT NULL,           -- {path: sha256} the result depends on
  record_hash   TEXT NOT NULL REFERENCES records(hash),
  created_at    REAL NOT NULL,
  hits          INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
