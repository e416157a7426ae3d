-- The notes table and the notifications still to deliver (PostgreSQL).
CREATE TABLE notes (
    id VARCHAR(64) PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE TABLE note_notifications (
    id BIGSERIAL PRIMARY KEY,
    note_id VARCHAR(64) NOT NULL,
    created_at_us BIGINT NOT NULL
);
