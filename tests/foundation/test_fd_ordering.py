"""Start-up order: topological over depends/after, loadmodule order as tie-break."""
import pytest

from siprouter.core.errors import StartupError
from siprouter.core.modsys.ordering import order_modules


def test_no_dependencies_keeps_loadmodule_order():
    assert order_modules(["c", "a", "b"], {}) == ["c", "a", "b"]


def test_depends_moves_a_module_after_its_dependency():
    assert order_modules(["async", "tmx", "tm", "sl"], {"async": ["tm", "tmx"], "tmx": ["tm"]}) == \
        ["tm", "tmx", "async", "sl"]


def test_tie_break_is_loadmodule_order_among_ready_modules():
    # x and y both wait for base; they keep their relative loadmodule order
    assert order_modules(["y", "x", "base"], {"y": ["base"], "x": ["base"]}) == ["base", "y", "x"]
    assert order_modules(["x", "y", "base"], {"y": ["base"], "x": ["base"]}) == ["base", "x", "y"]


def test_independent_module_is_not_delayed():
    assert order_modules(["a", "free", "b"], {"a": ["b"]}) == ["free", "b", "a"]


def test_after_orders_only_when_loaded():
    assert order_modules(["a", "b"], {}, {"a": ["b"]}) == ["b", "a"]
    assert order_modules(["a"], {}, {"a": ["not_loaded"]}) == ["a"]


def test_missing_dependencies_all_reported():
    with pytest.raises(StartupError) as ei:
        order_modules(["async", "x"], {"async": ["tm"], "x": ["y"]})
    assert ei.value.lines() == ["async needs tm, which is not loaded (add 'tm' to loadmodule)",
                                "x needs y, which is not loaded (add 'y' to loadmodule)"]


def test_always_loaded_module_satisfies_depends():
    assert order_modules(["a"], {"a": ["core"]}, always=["core"]) == ["a"]


def test_cycle_named_in_order():
    with pytest.raises(StartupError, match=r"^dependency cycle: a -> b -> a$"):
        order_modules(["a", "b"], {"a": ["b"], "b": ["a"]})


def test_longer_cycle_with_bystanders():
    with pytest.raises(StartupError) as ei:
        order_modules(["free", "w", "a", "b", "c"], {"w": ["a"], "a": ["b"], "b": ["c"], "c": ["a"]})
    assert str(ei.value) == "dependency cycle: a -> b -> c -> a"


def test_cycle_through_after():
    with pytest.raises(StartupError, match="dependency cycle: a -> b -> a"):
        order_modules(["a", "b"], {"a": ["b"]}, {"b": ["a"]})


def test_self_dependency():
    with pytest.raises(StartupError, match="dependency cycle: a -> a"):
        order_modules(["a"], {"a": ["a"]})
