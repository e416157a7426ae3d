-- Orders, their items, idempotency keys and the notification outbox.
-- The same DDL serves PostgreSQL and SQLite: money is integer cents, times are integer
-- microseconds since the epoch (exact, and ordered the same way in both databases).
CREATE TABLE orders (
    id VARCHAR(36) PRIMARY KEY,
    user_id VARCHAR(256) NOT NULL,
    status VARCHAR(16) NOT NULL,
    total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
    created_at_us BIGINT NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, created_at_us, id);
CREATE INDEX orders_by_time ON orders (created_at_us, id);
CREATE TABLE order_items (
    order_id VARCHAR(36) NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    product_id VARCHAR(256) NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, line)
);
CREATE TABLE order_idempotency_keys (
    idempotency_key VARCHAR(255) PRIMARY KEY,
    request_hash VARCHAR(64) NOT NULL,
    order_id VARCHAR(36) NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    expires_at_us BIGINT NOT NULL
);
CREATE INDEX order_idempotency_expiry ON order_idempotency_keys (expires_at_us);
CREATE TABLE order_outbox (
    id VARCHAR(36) PRIMARY KEY,
    topic VARCHAR(64) NOT NULL,
    payload TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at_us BIGINT NOT NULL,
    delivered_at_us BIGINT,
    last_error TEXT
);
CREATE INDEX order_outbox_due ON order_outbox (delivered_at_us, next_attempt_at_us);
