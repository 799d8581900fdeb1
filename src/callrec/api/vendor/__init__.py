"""The vendor-compatible number-record API: queryPage, its guard, reader and page cache."""
