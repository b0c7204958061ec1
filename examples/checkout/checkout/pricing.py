"""Discounts, tax and shipping."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from checkout.cart import Cart

TAX_RATES = {"DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21")}
FREE_SHIPPING_FROM = Decimal("50")


def discount(cart: Cart, code: str | None) -> Decimal:
    if not code:
        return Decimal("0")
    if code == "WELCOME10":
        return (cart.subtotal * Decimal("0.10")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if code == "FIVEOFF":
        return min(Decimal("5"), cart.subtotal)
    if code.startswith("STAFF-"):
        if len(code) != 10:
            raise ValueError("staff codes are STAFF- and four digits")
        return (cart.subtotal * Decimal("0.30")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    raise ValueError(f"unknown discount code {code}")


def shipping(cart: Cart, country: str) -> Decimal:
    if cart.subtotal >= FREE_SHIPPING_FROM:
        return Decimal("0")
    if country == "DE":
        return Decimal("4.90")
    if country in ("FR", "NL"):
        return Decimal("7.90")
    return Decimal("14.90")


def tax(amount: Decimal, country: str) -> Decimal:
    rate = TAX_RATES.get(country)
    if rate is None:
        raise ValueError(f"no tax rate for {country}")
    return (amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


def total(cart: Cart, country: str, code: str | None = None) -> Decimal:
    if cart.is_empty():
        raise ValueError("cannot price an empty cart")
    net = cart.subtotal - discount(cart, code)
    return net + tax(net, country) + shipping(cart, country)
