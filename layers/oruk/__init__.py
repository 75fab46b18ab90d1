"""Open Referral UK 3.0 (ORUK, the UK profile of HSDS 3.0): Patchmap's groups, hubs and venues published as
organisations, services, locations, schedules, cost options and a taxonomy (``feed``, ``shapes``), with the
stable UUIDs that name them (``ids``), and another directory's ORUK feed read back into groups and hubs
(``reader``, ``importer``). Public fields only; no FastAPI here.
"""
