"""Sources of raw CDRs: each reads one format and yields a ``SourceItem`` per item it reads.

- ``tabular``: JSON Lines, CSV and JSON arrays of raw CDRs in callrec's own field names;
- ``asterisk``: ``Master.csv`` as Asterisk's ``cdr_csv`` writes it;
- ``freeswitch``: ``mod_json_cdr`` documents (``freeswitch_body`` unwraps the HTTP encodings).
"""
