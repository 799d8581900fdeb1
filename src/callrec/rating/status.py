"""How a stored record's price came about (``call_records.rating_status``)."""

EXTERNAL = "external"  # priced elsewhere, imported as given; rerate never touches it
RATED = "rated"  # rated here from the workspace's deck
UNRATED = "unrated"  # no deck row matched: rate 0, pay 0, flagged for `rates unrated`
NO_FX = "no_fx"  # rated, but no exchange rate in force: settle fields null until rerate

RERATABLE = (RATED, UNRATED, NO_FX)
