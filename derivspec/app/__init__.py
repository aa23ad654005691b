"""The app layer: the ``derivspec`` command (:mod:`.cli`, :mod:`.commands`) and what it runs on top of
the other layers -- verify, the report, the reference-model runner, coverage and the docs pages."""
