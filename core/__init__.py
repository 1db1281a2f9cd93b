"""The siprouter core: SIP layer, transports, route engine, module system, server."""
