"""Known artificial objects: a catalogue (TLE, OMM, heliocentric table) and the matching of an
object's observations against it (Find_Orb ``sat_id``'s method). Pure and synchronous.

Modules: :mod:`~core.known.tle`, :mod:`~core.known.omm` and :mod:`~core.known.heliocentric` read
the files; :mod:`~core.known.catalogue` gathers them; :mod:`~core.known.frames` (TEME -> GCRS,
stations) and :mod:`~core.known.predict` predict; :mod:`~core.known.match` matches;
:mod:`~core.known.similarity` is the orbit D criterion.
"""
