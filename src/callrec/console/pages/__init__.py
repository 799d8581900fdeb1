"""One module per page family, each exposing ``router``; included by callrec.console.app."""
