-- The staff schema of the first release (ask/staff_log.py, PRAGMA user_version = 1), verbatim.
CREATE TABLE sign_in_attempts (
        id         INTEGER PRIMARY KEY,
        created_at TEXT    NOT NULL,
        account    TEXT    NOT NULL,
        client     TEXT    NOT NULL,
        ok         INTEGER NOT NULL
    );
CREATE INDEX sign_in_attempts_account ON sign_in_attempts (account, created_at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, created_at);
CREATE TABLE staff_actions (
        id         INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        detail     TEXT NOT NULL,
        client     TEXT NOT NULL
    );
CREATE TRIGGER staff_actions_no_update BEFORE UPDATE ON staff_actions
        BEGIN SELECT RAISE(ABORT, 'the staff action log is append-only'); END;
CREATE TRIGGER staff_actions_no_delete BEFORE DELETE ON staff_actions
        BEGIN SELECT RAISE(ABORT, 'the staff action log is append-only'); END;
