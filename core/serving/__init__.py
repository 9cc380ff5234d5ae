"""Serving: a trained model, where it is kept, and how records are scored with it.

* :mod:`core.serving.model`: :class:`~core.serving.model.TrainedModel`, everything needed to
  score a feature matrix, and :mod:`core.serving.explain`, the feature contributions stored
  with it.
* :mod:`core.serving.registry`: versioned model directories, verified before anything is
  deserialised.
* :mod:`core.serving.inference`: the inference engine, ``neo.v1`` records in,
  ``neo.anomaly.v1`` results out.
* :mod:`core.serving.inputs`: which decoder turns an input message into a ``neo.v1`` record.
* :mod:`core.serving.arcstate`: what the daemon remembers of one object between observation
  messages.

Nothing is imported here: each module is imported by its full path, so that a light caller
(``streamer.config`` reads :mod:`core.serving.inputs`) imports no numpy.
"""
