"""The vendor's number-record wire format: status codes, signs, request bodies, records.

Pure functions and types with no I/O; the server, the client and the importers share them,
so both sides of the wire agree byte for byte.
"""
