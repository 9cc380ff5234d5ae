"""Survey alerts as users receive them: ZTF packets, Rubin alerts native or as brokers send them.

=========================  ==================================================================
module                     what
=========================  ==================================================================
:mod:`.container`          Avro object containers read block by block (a broken block loses
                           only itself)
:mod:`.ztf`                a ZTF alert -> ``neo.obs.v1`` observations of its known asteroid
:mod:`.rubin`              a Rubin alert recognised by its fields (broker redistributions)
:mod:`.message`            one Kafka message: sniffed (wire header, container, JSON, text)
:mod:`.times`              a plausible alert time (1990 to a day ahead)
:mod:`.route`              scored at once, or observations for the per-object state
:mod:`.files`              alert files for ``convert`` and ``produce``
=========================  ==================================================================
"""

from __future__ import annotations
