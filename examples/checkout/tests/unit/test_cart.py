from decimal import Decimal

import pytest

from checkout.cart import Cart


def test_add_merges_lines():
    cart = Cart()
    cart.add("mug", 1, Decimal("8.50"))
    cart.add("mug", 2, Decimal("8.50"))
    assert len(cart.lines) == 1
    assert cart.subtotal == Decimal("25.50")


def test_add_refuses_zero():
    with pytest.raises(ValueError):
        Cart().add("mug", 0, Decimal("1"))


def test_remove():
    cart = Cart()
    cart.add("mug", 1, Decimal("8.50"))
    cart.remove("mug")
    assert cart.is_empty()
