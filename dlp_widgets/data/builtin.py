"""Built-in data sets. The scikit-learn ones ship with scikit-learn (offline); California
housing is downloaded once into the cache, read without unpickling anything."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..home import cache_dir
from .errors import DataError
from .fetch import download

CALIFORNIA_URL = "https://ndownloader.figshare.com/files/5976036"
CALIFORNIA_FILE = "cal_housing.tgz"


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str  # "tabular" or "image" (tabular sets may also offer images, e.g. digits)
    target: str | None
    task: str
    description: str
    load: Callable[[], pd.DataFrame]


def _sklearn_frame(loader: Callable, target: str, names: bool) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    frame = bunch.frame.copy()
    values = frame.pop("target")
    if names:
        values = pd.Series(np.asarray(bunch.target_names)[values.to_numpy()], index=frame.index)
    frame[target] = values
    return frame


def _iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    frame = _sklearn_frame(load_iris, "species", names=True)
    frame.columns = [c.replace(" (cm)", "").replace(" ", "_") for c in frame.columns]
    return frame


def _wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return _sklearn_frame(load_wine, "cultivar", names=True)


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    return _sklearn_frame(load_breast_cancer, "diagnosis", names=True)


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return _sklearn_frame(load_diabetes, "progression", names=False)


def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    return _sklearn_frame(load_digits, "digit", names=False)


def digits_images() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as 8×8 grey images scaled to [0, 1], and their labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.images / 16.0).astype("float32"), bunch.target.astype("int64")


def california_path() -> Path:
    return cache_dir("california_housing") / CALIFORNIA_FILE


def _california() -> pd.DataFrame:
    path = california_path()
    if not path.exists():
        try:
            downloaded = download(CALIFORNIA_URL, folder="california_housing", max_bytes=50 * 2**20)
        except DataError as exc:
            raise DataError(
                f"builtin:california_housing is downloaded on first use, and the download failed "
                f"({exc.message}). Offline, place {CALIFORNIA_FILE} (from {CALIFORNIA_URL}) at {path}.",
                source="builtin:california_housing",
            ) from None
        downloaded.replace(path)
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("cal_housing.data") and m.isfile())
            raw = tar.extractfile(member).read()
    except (tarfile.TarError, StopIteration, OSError, EOFError) as exc:
        raise DataError(f"{path} is not the California housing archive ({exc}); delete it to download again") from None
    cols = [
        "longitude",
        "latitude",
        "housingMedianAge",
        "totalRooms",
        "totalBedrooms",
        "population",
        "households",
        "medianIncome",
        "medianHouseValue",
    ]
    d = pd.read_csv(io.BytesIO(raw), header=None, names=cols)
    # the same derived features as scikit-learn's fetch_california_housing
    return pd.DataFrame(
        {
            "MedInc": d.medianIncome,
            "HouseAge": d.housingMedianAge,
            "AveRooms": d.totalRooms / d.households,
            "AveBedrms": d.totalBedrooms / d.households,
            "Population": d.population,
            "AveOccup": d.population / d.households,
            "Latitude": d.latitude,
            "Longitude": d.longitude,
            "MedHouseVal": d.medianHouseValue / 100_000.0,
        }
    )


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in [
        Builtin("iris", "tabular", "species", "classification", "150 iris flowers, 4 measurements, 3 species", _iris),
        Builtin(
            "wine", "tabular", "cultivar", "classification", "178 wines, 13 chemical measurements, 3 cultivars", _wine
        ),
        Builtin(
            "breast_cancer",
            "tabular",
            "diagnosis",
            "classification",
            "569 tumours, 30 measurements, malignant or benign",
            _breast_cancer,
        ),
        Builtin(
            "diabetes",
            "tabular",
            "progression",
            "regression",
            "442 patients, 10 measurements, disease progression after a year",
            _diabetes,
        ),
        Builtin(
            "digits",
            "tabular",
            "digit",
            "classification",
            "1,797 handwritten digits as 8×8 grey images (64 pixel columns as a table)",
            _digits,
        ),
        Builtin(
            "california_housing",
            "tabular",
            "MedHouseVal",
            "regression",
            "20,640 districts, 8 features, median house value (downloaded once)",
            _california,
        ),
    ]
}
