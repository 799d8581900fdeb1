"""Account operations: the one layer the CLI, the admin API and the console call.

Each operation takes an ``Actor`` (who asks, and what they may see and change), applies the
scope rules, changes the store and records the change in the audit log in the same
transaction. Faces stay thin: they parse their input, call one operation, render the result
or the error (callrec.store.errors) in their own form.
"""
