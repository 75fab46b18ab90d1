-- Serialise one client's submissions for the rest of the transaction, so two requests sent at once
-- cannot both pass the rate limit. Parameter (psycopg): client_key (the keyed hash, never an address).
SELECT pg_advisory_xact_lock(hashtextextended(%(client_key)s::text, 0))
