"""The ingest endpoints: FreeSWITCH mod_json_cdr and batches of raw CDRs."""
