"""Message contracts declared once as typed msgspec structs with their constraints.

:mod:`core.contract.uncertainty` holds the uncertainty blocks of ``neo.v1`` (``orbit.sigma``,
``orbit.covariance``, ``orbit.fit``), which both decoders of :mod:`core.records` use.
"""
