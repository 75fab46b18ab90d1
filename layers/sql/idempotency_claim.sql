-- Claim a client's Idempotency-Key for a write, in the write's own transaction. No row back: the key is
-- taken already (by a committed write; or by one still running, whose commit this insert waits for).
INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (%(scope)s, %(key)s, %(hash)s)
ON CONFLICT (scope, key) DO NOTHING
RETURNING key
