"""Pushing stored records to customers' webhooks: durable, retried, verifiable.

Records are queued in the transaction that stores them (callrec.store.push_outbox), a
delivery worker claims them in batches and POSTs them (callrec.push.worker), and every
request carries a signature the receiver can check (callrec.push.signature).
"""
