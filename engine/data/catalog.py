"""What each named dataset is (features, classes, task, class names), known without loading it."""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import Registry

#: Every dataset name the spec accepts (with aliases), and which kinds need a file or are generated.
DATASETS = Registry("dataset")
for _name, _aliases in (("digits", ()), ("fashion-mnist", ("fashion_mnist", "fmnist")),
                        ("mnist", ()), ("moons", ()), ("circles", ()), ("spiral", ("spirals",)),
                        ("xor", ()), ("gaussians", ("blobs",)), ("sine", ("sin",)),
                        ("plane", ()), ("multi-gaussian", ("multi_gaussian", "gaussian-bumps")),
                        ("scales", ("uneven-scales",)),
                        ("csv", ()), ("npz", ())):
    DATASETS.add(_name, _name, _aliases)
SYNTHETIC = {"moons", "circles", "spiral", "xor", "gaussians", "sine", "plane", "multi-gaussian", "scales"}
FILE_DATASETS = {"csv", "npz"}
#: the generated sets whose inputs are points of a plane (data.features applies to them)
PLANE_SETS = {"moons", "circles", "spiral", "xor", "gaussians", "plane", "multi-gaussian", "scales"}

#: the sets downloaded on first use, and their size
DOWNLOAD_MB = {"fashion-mnist": 30.9, "mnist": 11.6}

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class DataInfo:
    n_features: int
    n_classes: int          # classes, or target columns for regression
    task: str               # "classification" | "regression"
    class_names: tuple[str, ...] = ()
    image_shape: tuple[int, int] | None = None
    samples: int = 0        # rows the set has (its training file, for sets that ship a test set)
    test_samples: int = 0   # rows of a test set that ships with it (0: one is held out of ``samples``)
    plane: bool = False     # inputs are points of a plane (a 2D set): the decision and unit maps apply

    def training_rows(self, spec) -> int:
        """Rows the trainer will see per epoch once the test and validation splits are made."""
        rows = self.samples if self.test_samples else self.samples * (1 - spec.test_split)
        return int(rows * (1 - spec.validation_split))


def static_info(spec) -> DataInfo | None:
    """The shape of a named dataset from its spec alone; None where only loading tells (csv, npz)."""
    name = spec.name
    if name == "digits":
        return DataInfo(64, 10, "classification", DIGIT_CLASSES, (8, 8), 1797)
    if name == "fashion-mnist":
        return DataInfo(784, 10, "classification", FASHION_CLASSES, (28, 28), 60000, 10000)
    if name == "mnist":
        return DataInfo(784, 10, "classification", DIGIT_CLASSES, (28, 28), 60000, 10000)
    if name == "sine":
        return DataInfo(1, 1, "regression", samples=spec.samples)
    inputs = len(getattr(spec, "inputs", ("x1", "x2")))
    if name in ("plane", "multi-gaussian", "scales"):
        return DataInfo(inputs, 1, "regression", samples=spec.samples, plane=True)
    if name in ("moons", "circles", "xor", "spiral", "gaussians"):
        k = (spec.classes or 2) if name in ("spiral", "gaussians") else 2
        return DataInfo(inputs, k, "classification", tuple(f"class {i}" for i in range(k)),
                        samples=spec.samples, plane=True)
    return None
