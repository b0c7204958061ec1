from decimal import Decimal

import pytest

from checkout.cart import Cart
from checkout.pricing import shipping, tax, total


def cart_of(amount: str) -> Cart:
    cart = Cart()
    cart.add("item", 1, Decimal(amount))
    return cart


@pytest.mark.parametrize(("country", "expected"), [("DE", "1.90"), ("FR", "2.00"), ("NL", "2.10")])
def test_tax(country, expected):
    assert tax(Decimal("10"), country) == Decimal(expected)


def test_shipping_free_from_50():
    assert shipping(cart_of("50"), "DE") == Decimal("0")


def test_total_in_germany():
    assert total(cart_of("10"), "DE") == Decimal("16.80")
