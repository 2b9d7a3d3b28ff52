"""engine.names, the numpy-free table of what the spec accepts, and engine.nn's implementations
agree: every name has an implementation and every implementation a name, aliases resolve to the
same thing through both, and the optimizers' and schedules' defaults are the table's."""

import pytest

import engine
from engine import names
from engine.registry import Registry

FAMILIES = [(names.ACTIVATIONS, engine.ACTIVATIONS), (names.INITIALIZERS, engine.INITIALIZERS),
            (names.LOSSES, engine.LOSSES), (names.OPTIMIZERS, engine.OPTIMIZERS),
            (names.SCHEDULES, engine.SCHEDULES)]


@pytest.mark.parametrize("table, impl", FAMILIES, ids=lambda r: getattr(r, "family", ""))
def test_each_name_is_implemented_and_each_alias_agrees(table, impl):
    assert impl.names() == table.names()
    assert impl.aliases() == table.aliases()
    for alias, name in table.aliases().items():
        assert impl.canonical(alias.upper().replace("_", "-")) == name


@pytest.mark.parametrize("table, impl", FAMILIES[3:], ids=["optimizers", "schedules"])
def test_the_settings_defaults_are_the_tables(table, impl):
    for name in table.names():
        assert impl.get(name).defaults == table.get(name)


def test_an_implementation_of_an_unnamed_thing_is_refused():
    reg = Registry.implementing(names.OPTIMIZERS)
    with pytest.raises(ValueError, match="'lion' is not in engine.names"):
        reg.add("lion", type("Lion", (), {}))


def test_a_wrong_name_says_what_is_allowed():
    with pytest.raises(engine.SpecError, match="optimizer.name.*unknown optimizer 'lion'; valid: sgd, adagrad, rmsprop"):
        engine.Experiment.from_dict({"model": {"layers": [{"units": 3, "activation": "softmax"}]},
                                     "optimizer": {"name": "lion"}})


def test_every_table_keyed_by_optimizer_knows_every_optimizer():
    """The advice's large learning rates and the memory estimate's state slots: a new optimizer
    missing from either was a KeyError in the builder."""
    from engine.advice import LARGE_LR
    from engine.backends.plan import OPTIMIZER_SLOTS
    assert set(LARGE_LR) == set(OPTIMIZER_SLOTS) == set(names.OPTIMIZERS.names())
