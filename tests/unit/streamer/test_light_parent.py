"""With scoring processes the daemon's own process stays light: no scikit-learn, no torch.

It decodes nothing and scores nothing itself (the scoring processes do both), so importing
what it runs must not pull in the ~85 MiB of scikit-learn or the ~490 MiB of torch.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from core.errors import CoreError, NotFittedError


def test_daemon_modules_import_neither_sklearn_nor_torch() -> None:
    code = (
        "import sys\n"
        "import streamer.app, streamer.commands.run\n"
        "import streamer.pipeline.procpool, streamer.pipeline.serving\n"
        "import core.contract.records, core.errors, core.serving.registry\n"
        "core.serving.registry.current_version(__import__('pathlib').Path('models'))\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'torch', 'scipy'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_not_fitted_error_is_core_and_sklearn_and_pickles() -> None:
    err = NotFittedError("Preprocessor is not fitted yet")
    assert isinstance(err, CoreError) and isinstance(err, SklearnNotFittedError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is NotFittedError and str(again) == str(err)
    assert NotFittedError.__module__ == "core.errors"
