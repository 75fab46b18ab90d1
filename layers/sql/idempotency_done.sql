-- The answer to keep with a claimed key (committed with the write it answers); keys older than a day go.
WITH expired AS (
  DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day' AND NOT (scope = %(scope)s AND key = %(key)s)
)
UPDATE idempotency_keys SET status = %(status)s, response = %(response)s WHERE scope = %(scope)s AND key = %(key)s
