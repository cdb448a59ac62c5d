"""The subscription service: subscribe, confirm, manage and one-click unsubscribe on the web.

Routes (:mod:`.app`) are thin: they check the signed link or the form and call the same
:class:`~newsletter.store.Store` methods and :mod:`newsletter.tokens` the CLI uses.  Mail
(:mod:`.mail`) leaves from a background thread, so that no answer's timing tells whether an
address is subscribed.  ``newsletter serve`` runs it under waitress.
"""
