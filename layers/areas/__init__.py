"""Places as councils name them: the one set of postcode rules (``postcodes``) and the reads that turn a
point or a postcode into its ward, district, LSOA and county, list areas and serve their boundaries
(``lookup``, async psycopg). Boundaries are loaded by ``layers.importers.boundaries``.
"""
