"""Hot typed reads for the API: async functions over a psycopg connection (nearby search, map layers,
public records, health), SQL in ``layers/sql``. Multi-step work and analysis live in their own rooms.
"""
