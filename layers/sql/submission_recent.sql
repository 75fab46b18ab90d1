-- Whether a client has reached the rate limit: the submission whose leaving the window would let the
-- client submit again (the limit-th newest in the window), and the whole seconds until it leaves.
-- No row: the client is under the limit. Reads ix_submissions_client_recent (client_key, created_at).
-- Parameters (psycopg): client_key, window_minutes, limit.
SELECT ceil(extract(epoch FROM created_at + make_interval(mins => %(window_minutes)s::int) - now()))::int
         AS retry_after_s
FROM submissions
WHERE client_key = %(client_key)s::text
  AND created_at > now() - make_interval(mins => %(window_minutes)s::int)
ORDER BY created_at DESC
OFFSET %(limit)s::int - 1
LIMIT 1
