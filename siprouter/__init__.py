"""siprouter: a programmable SIP server built like Kamailio.

The distribution maps the repository's ``core/`` folder to ``siprouter.core``
and ``modules/<name>/`` to ``siprouter.modules.<name>``.
"""
__version__ = "0.1.0"
