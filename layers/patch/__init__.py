"""A district co-ordinator's patch: the district's summary and a ward's pack (``summary``), the pack as
spreadsheet-safe CSV and GeoJSON (``export``) and the district's partners (``partners``). Every function
checks the actor's scope first (``layers.access.scope``).
"""
