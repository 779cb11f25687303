-- The audit schema of the first release (ask/audit.py, PRAGMA user_version = 1), verbatim.
CREATE TABLE answers (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT    NOT NULL,
    question      TEXT    NOT NULL,
    history_len   INTEGER NOT NULL,
    status        TEXT    NOT NULL,
    message       TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    index_version TEXT    NOT NULL,
    helpful       INTEGER,
    feedback_at   TEXT
);
CREATE INDEX answers_created_at ON answers (created_at);
CREATE TABLE quotes (
    id        INTEGER PRIMARY KEY,
    answer_id INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    text      TEXT    NOT NULL,
    doc_id    TEXT    NOT NULL,
    path      TEXT    NOT NULL,
    title     TEXT    NOT NULL,
    publisher TEXT    NOT NULL,
    url       TEXT,
    start     INTEGER NOT NULL,
    "end"     INTEGER NOT NULL,
    score     REAL    NOT NULL
);
CREATE INDEX quotes_answer_id ON quotes (answer_id);
CREATE INDEX quotes_doc_id ON quotes (doc_id);
CREATE TABLE verdicts (
    id         INTEGER PRIMARY KEY,
    quote_id   INTEGER NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    verdict    TEXT    NOT NULL,
    comment    TEXT    NOT NULL,
    reviewer   TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX verdicts_quote_id ON verdicts (quote_id);
CREATE TABLE eval_runs (
    id            INTEGER PRIMARY KEY,
    created_at    TEXT NOT NULL,
    eval_file     TEXT NOT NULL,
    index_version TEXT NOT NULL,
    overall       TEXT NOT NULL,
    by_category   TEXT NOT NULL,
    run_by        TEXT NOT NULL
);
