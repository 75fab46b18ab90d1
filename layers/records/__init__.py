"""The records Patchmap keeps about groups, hubs and spaces once they are published: edits that keep a
version of every change and can restore one, freshness (confirming a record, listing stale ones) and the
opening-hours rules (``hours``) whose SQL twins fill the public columns.
"""
