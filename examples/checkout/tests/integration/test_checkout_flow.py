from decimal import Decimal

import pytest

from checkout.cart import Cart
from checkout.pricing import total

BASKETS = [
    ("DE", [("mug", 1, "8.50")], None, "15.02"),
    ("DE", [("mug", 2, "8.50")], None, "25.13"),
    ("DE", [("mug", 6, "8.50")], None, "60.69"),
    ("FR", [("tee", 1, "19.00")], None, "30.70"),
    ("NL", [("tee", 1, "19.00")], None, "30.89"),
    ("DE", [("tee", 3, "19.00")], None, "67.83"),
    ("DE", [("tee", 1, "19.00"), ("mug", 1, "8.50")], None, "37.63"),
    ("FR", [("tee", 1, "19.00"), ("mug", 1, "8.50")], None, "40.90"),
    ("NL", [("tee", 1, "19.00"), ("mug", 1, "8.50")], None, "41.18"),
    ("DE", [("tee", 1, "19.00")], "WELCOME10", "25.25"),
    ("FR", [("tee", 1, "19.00")], "WELCOME10", "28.42"),
    ("NL", [("tee", 1, "19.00")], "WELCOME10", "28.59"),
    ("DE", [("tee", 4, "19.00")], "WELCOME10", "81.40"),
    ("DE", [("tee", 1, "19.00")], "FIVEOFF", "21.56"),
    ("FR", [("tee", 1, "19.00")], "FIVEOFF", "24.70"),
    ("NL", [("tee", 1, "19.00")], "FIVEOFF", "24.84"),
    ("DE", [("mug", 1, "4.00")], "FIVEOFF", "4.90"),
    ("DE", [("tee", 3, "19.00")], "FIVEOFF", "61.88"),
    ("FR", [("tee", 3, "19.00")], "FIVEOFF", "62.40"),
    ("NL", [("tee", 3, "19.00")], "FIVEOFF", "62.92"),
    ("DE", [("mug", 10, "8.50")], None, "101.15"),
    ("FR", [("mug", 10, "8.50")], None, "102.00"),
    ("NL", [("mug", 10, "8.50")], None, "102.85"),
    ("DE", [("mug", 1, "50.00")], None, "59.50"),
]


@pytest.mark.parametrize(("country", "lines", "code", "expected"), BASKETS)
def test_checkout_total(country, lines, code, expected):
    cart = Cart()
    for sku, quantity, price in lines:
        cart.add(sku, quantity, Decimal(price))
    assert total(cart, country, code) == Decimal(expected)
