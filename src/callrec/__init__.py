"""callrec: a call-detail-record service speaking the vendor's number-record API."""

__version__ = "0.1.0"
