"""What each named dataset is (features, classes, task, class names), known without loading it."""

from __future__ import annotations

from dataclasses import dataclass

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


def static_info(spec) -> DataInfo | None:
    """The shape of a named dataset from its spec alone; None where only loading tells (csv, npz)."""
    name = spec.name
    if name == "digits":
        return DataInfo(64, 10, "classification", DIGIT_CLASSES, (8, 8))
    if name == "fashion-mnist":
        return DataInfo(784, 10, "classification", FASHION_CLASSES, (28, 28))
    if name == "mnist":
        return DataInfo(784, 10, "classification", DIGIT_CLASSES, (28, 28))
    if name == "sine":
        return DataInfo(1, 1, "regression")
    if name in ("moons", "circles", "xor", "spiral", "gaussians"):
        k = (spec.classes or 2) if name in ("spiral", "gaussians") else 2
        return DataInfo(2, k, "classification", tuple(f"class {i}" for i in range(k)))
    return None
