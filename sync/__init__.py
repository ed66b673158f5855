"""What the client and the city server share: wire protocol, merge rule, hybrid clock, schema.

The city server lives in ``sync.server`` and is never imported by the client.
"""
