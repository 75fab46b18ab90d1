"""Who may do what: users and their passwords (argon2), API tokens and browser sessions (stored as
digests), the districts an actor covers (``scope``: every domain operation checks it here, not in the
API) and the append-only audit log every write leaves a row in (``audit``).
"""
