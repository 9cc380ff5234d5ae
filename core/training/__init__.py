"""Training: from the bundled catalog to a validated :class:`~core.serving.model.TrainedModel`.

* :mod:`core.training.pipeline`: load → split → features → search → select → ensemble →
  validate (:func:`~core.training.pipeline.train`).
* :mod:`core.training.search`: candidate detector configurations (grid, random, Bayesian).
* :mod:`core.training.synthetic`: plausible artificial objects, the injected anomalies.
* :mod:`core.training.augment`: real naturals with optional parts removed, as feeds send them.
* :mod:`core.training.evaluation`: ROC-AUC and average precision with bootstrap intervals.
* :mod:`core.training.report`: ``report.json`` and ``report.png`` next to each model.

Nothing is imported here: each module is imported by its full path.
"""
