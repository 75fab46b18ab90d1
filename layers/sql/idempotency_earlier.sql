-- What a claimed Idempotency-Key was used for, and the answer given.
SELECT request_hash, status, response FROM idempotency_keys WHERE scope = %(scope)s AND key = %(key)s
