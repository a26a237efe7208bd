"""The business case of a campaign, without the database: expected conversions from scores,
the net present value with a range, and the lift of target over control with its interval.

- Expected conversions = the sum of the members' probabilities (a Poisson-binomial count); its
  90 % range is the normal approximation mean +- 1.645 sqrt(sum p (1 - p)), cut at zero.
- NPV = sum over the margin's months m = 1..M of (conversions x margin a month) / (1 + r)^(m/12)
  - contacts x cost per contact - fixed costs, with r the annual discount rate.
- Lift = conversion rate of target - control; its 95 % interval is the normal approximation of
  a difference of two proportions (Wald), which is what a campaign report of a few hundred or
  more members per group needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z90 = 1.6449
Z95 = 1.96


@dataclass(frozen=True)
class BusinessCase:
    cost_per_contact: float
    fixed_costs: float
    margin_per_month: float
    margin_months: int
    discount_rate: float


@dataclass(frozen=True)
class NpvEstimate:
    contacts: int
    expected_conversions: float
    conversions_low: float
    conversions_high: float
    value_per_conversion: float
    costs: float
    npv: float
    npv_low: float
    npv_high: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 2) for k, v in self.__dict__.items()}


def value_per_conversion(case: BusinessCase) -> float:
    """Present value of one conversion's margin over its months."""
    monthly = (1 + max(case.discount_rate, 0.0)) ** (1 / 12)
    return sum(case.margin_per_month / monthly**m for m in range(1, case.margin_months + 1))


def npv(case: BusinessCase, *, contacts: int, conversions: float) -> float:
    """NPV of `conversions` won by `contacts` contacts."""
    return (
        conversions * value_per_conversion(case)
        - contacts * case.cost_per_contact
        - case.fixed_costs
    )


def npv_estimate(case: BusinessCase, probabilities: Sequence[float]) -> NpvEstimate:
    """Expected NPV and its 90 % range when each contact converts with its probability."""
    p = [min(max(float(v), 0.0), 1.0) for v in probabilities]
    mean = sum(p)
    spread = Z90 * math.sqrt(sum(v * (1 - v) for v in p))
    low, high = max(mean - spread, 0.0), mean + spread
    contacts = len(p)
    value = value_per_conversion(case)
    costs = contacts * case.cost_per_contact + case.fixed_costs
    return NpvEstimate(
        contacts=contacts,
        expected_conversions=mean,
        conversions_low=low,
        conversions_high=high,
        value_per_conversion=value,
        costs=costs,
        npv=mean * value - costs,
        npv_low=low * value - costs,
        npv_high=high * value - costs,
    )


@dataclass(frozen=True)
class Lift:
    rate_target: float | None
    rate_control: float | None
    lift: float | None
    low: float | None
    high: float | None
    relative: float | None

    @property
    def relative_percent(self) -> float | None:
        """How much higher the target's rate is than the control's, in per cent."""
        return self.relative * 100 if self.relative is not None else None

    @property
    def significant(self) -> bool:
        return self.low is not None and (self.low > 0 or (self.high or 0) < 0)


def lift_interval(hits_target: int, n_target: int, hits_control: int, n_control: int) -> Lift:
    """Difference of conversion rates (target - control) with a 95 % Wald interval."""
    if not n_target or not n_control:
        rate_t = hits_target / n_target if n_target else None
        rate_c = hits_control / n_control if n_control else None
        return Lift(rate_t, rate_c, None, None, None, None)
    rate_t = hits_target / n_target
    rate_c = hits_control / n_control
    diff = rate_t - rate_c
    se = math.sqrt(rate_t * (1 - rate_t) / n_target + rate_c * (1 - rate_c) / n_control)
    relative = diff / rate_c if rate_c > 0 else None
    return Lift(rate_t, rate_c, diff, diff - Z95 * se, diff + Z95 * se, relative)
