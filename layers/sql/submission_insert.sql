-- Store a resident's offer as pending. Parameters (psycopg): reference, kind, details and contact (JSONB),
-- lon and lat (EPSG:4326), postcode, ward_code, district_code, client_key.
-- A reference already taken returns no row (the caller draws another); nothing else is ignored.
INSERT INTO submissions (reference, kind, status, details, contact, geom, postcode, ward_code, district_code,
                         client_key)
VALUES (%(reference)s, %(kind)s, 'pending', %(details)s, %(contact)s,
        ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326), %(postcode)s, %(ward_code)s,
        %(district_code)s, %(client_key)s)
ON CONFLICT (reference) DO NOTHING
RETURNING id
