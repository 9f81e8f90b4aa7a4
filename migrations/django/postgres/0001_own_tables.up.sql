-- Django mode, version 1: the library's own tables beside django-waffle's.
-- Django's migrations own waffle_flag, waffle_switch, waffle_sample and the
-- auth tables; this creates only what Django has no table for.

-- flagday's stateless string flags. A NULL value reads as missing.
CREATE TABLE IF NOT EXISTS waffle_string_flag (
    id       BIGSERIAL PRIMARY KEY,
    name     VARCHAR(255) NOT NULL UNIQUE,
    value    TEXT,
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    modified TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The library's own time windows (AddWindow), on Django's flags.
-- waffle-window's windows are Django's waffle_window_flagmember.
CREATE TABLE IF NOT EXISTS waffle_flag_member (
    id       BIGSERIAL PRIMARY KEY,
    flag_id  INTEGER NOT NULL REFERENCES waffle_flag (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    start_at TIMESTAMPTZ NOT NULL,
    end_at   TIMESTAMPTZ,
    note     TEXT NOT NULL DEFAULT '',
    created  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (end_at IS NULL OR end_at > start_at)
);
CREATE INDEX IF NOT EXISTS waffle_flag_member_flag_user_idx ON waffle_flag_member (flag_id, user_id);
CREATE INDEX IF NOT EXISTS waffle_flag_member_user_idx ON waffle_flag_member (user_id);

-- The audit trail (docs/audit.md), as in the library's version 3: one row
-- per change made through the library, written in the change's transaction.
-- Changes made in Django's admin write none.
CREATE TABLE IF NOT EXISTS waffle_audit (
    id     BIGSERIAL PRIMARY KEY,
    at     TIMESTAMPTZ NOT NULL,
    actor  TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    before TEXT,
    after  TEXT
);
CREATE INDEX IF NOT EXISTS waffle_audit_name_idx ON waffle_audit (name, id);
CREATE INDEX IF NOT EXISTS waffle_audit_actor_idx ON waffle_audit (actor, id);
CREATE INDEX IF NOT EXISTS waffle_audit_at_idx ON waffle_audit (at);
