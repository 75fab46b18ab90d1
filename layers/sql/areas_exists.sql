-- Whether an area with this code exists. Parameter (psycopg): code.
SELECT EXISTS (SELECT 1 FROM areas WHERE code = %(code)s::text) AS found
