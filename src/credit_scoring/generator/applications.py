"""application_train / application_test rows: copula-sampled columns driven by latent factors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import ndtri

from credit_scoring.generator.spec import SPEC_PACKAGE, DatasetSpec

APPLICATION = "application_train"
ID = "SK_ID_CURR"
TARGET = "TARGET"
SENTINEL_COLUMN = "DAYS_EMPLOYED"
DAYS_PER_YEAR = 365.25
ADULT_DAYS = 18 * 365
ID_DOCUMENT_DAYS = 14 * 365


@lru_cache(maxsize=4)
def load_design(name: str = "home_credit") -> dict[str, Any]:
    """The packaged design (latent factors, loadings, planted signal) of a dataset spec."""
    return yaml.safe_load(resources.files(SPEC_PACKAGE).joinpath(f"{name}_design.yaml").read_text())


@dataclass(frozen=True)
class Latents:
    """Per-applicant latent factors (standard normal)."""

    risk: np.ndarray
    age: np.ndarray
    wealth: np.ndarray
    building: np.ndarray

    def get(self, name: str) -> np.ndarray:
        return getattr(self, name)


def draw_latents(n: int, design: dict[str, Any], rng: np.random.Generator) -> Latents:
    corr = design["factors"]["correlations"]
    age, wealth, building, noise = (rng.standard_normal(n) for _ in range(4))
    # risk = a*age + b*wealth + c*noise with unit variance (age and wealth independent).
    a, b = corr["age"], corr["wealth"]
    risk = a * age + b * wealth + np.sqrt(1 - a * a - b * b) * noise
    return Latents(risk=risk, age=age, wealth=wealth, building=building)


def _score(loadings: dict[str, float], lat: Latents, rng: np.random.Generator) -> np.ndarray:
    total = sum(v * v for v in loadings.values())
    if total >= 1:
        raise ValueError(f"loadings {loadings} explain more than the whole variance")
    z = np.sqrt(1 - total) * rng.standard_normal(len(lat.risk))
    for factor, w in loadings.items():
        z = z + w * lat.get(factor)
    return z


def _tie(base: np.ndarray, tie: float, rng: np.random.Generator) -> np.ndarray:
    return tie * base + np.sqrt(1 - tie * tie) * rng.standard_normal(len(base))


def generate_applications(
    ids: np.ndarray,
    is_test: np.ndarray,
    spec: DatasetSpec,
    design: dict[str, Any],
    drift: dict[str, float],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, Latents]:
    """Every applicant's application row (the application_test columns, i.e. all but TARGET) and latents.

    Train and test rows share the same marginals, except the `drift` columns, whose copula score is shifted by
    the given number of standard deviations on test rows.
    """
    table = spec[APPLICATION]
    n = len(ids)
    lat = draw_latents(n, design, rng)
    recipes: dict[str, dict[str, Any]] = design["columns"]
    groups = {g: (re.compile(d["pattern"]), d, rng.random(n)) for g, d in design["missing_groups"].items()}
    unknown = sorted(set(drift) - set(table.column_names) | ({ID, TARGET} & set(drift)))
    if unknown:
        raise ValueError(f"drift: unknown or non-driftable application column(s) {unknown}")

    pens_cfg = design["pensioners"]
    pens_share = table[SENTINEL_COLUMN].sentinel_share_of_present
    pens = _score({"age": pens_cfg["age_loading"]}, lat, rng) > ndtri(1 - pens_share)

    cols: dict[str, np.ndarray] = {ID: ids}
    undrifted: dict[str, np.ndarray] = {}
    base_scores: dict[str, np.ndarray] = {}
    for col in table.columns:
        name = col.name
        if name in (ID, TARGET):
            continue
        recipe = recipes.get(name, {})
        group = next(((g, d, u) for g, (pat, d, u) in groups.items() if pat.search(name)), None)
        if "same_as" in recipe:
            z = _tie(undrifted[recipe["same_as"]], recipe["tie"], rng)
        elif group is not None and "tie_same_base" in group[1]:
            base = re.sub(group[1]["pattern"], "", name)
            if base not in base_scores:
                base_scores[base] = _score(group[1].get("loadings", {}), lat, rng)
            z = _tie(base_scores[base], group[1]["tie_same_base"], rng)
        else:
            z = _score(recipe.get("loadings", {}), lat, rng)
        undrifted[name] = z
        if name in drift:
            z = z + np.where(is_test, drift[name], 0.0)

        missing = group[2] < col.missing_rate if group is not None else None
        kwargs: dict[str, Any] = {"order": recipe.get("order"), "missing": missing}
        if name == SENTINEL_COLUMN:
            kwargs["sentinel"] = pens
        elif name == "NAME_INCOME_TYPE":
            kwargs["exclude"] = ["Pensioner"]
        elif name == "ORGANIZATION_TYPE":
            kwargs["exclude"] = ["XNA"]
        elif name == "OCCUPATION_TYPE":
            share = pens_cfg["occupation_missing_share"]
            rate_rest = max(col.missing_rate - pens_share * share, 0.0) / (1 - pens_share)
            u = rng.random(n)
            kwargs["missing"] = np.where(pens, u < share, u < rate_rest)
        elif name == "OWN_CAR_AGE":
            kwargs["missing"] = cols["FLAG_OWN_CAR"] == "N"
        values = col.sample(z, rng, **kwargs)

        if name == "NAME_INCOME_TYPE":
            values = np.where(pens, "Pensioner", values)
        elif name == "ORGANIZATION_TYPE":
            values = np.where(pens, "XNA", values)
        elif name == "FLAG_EMP_PHONE":
            values = np.where(pens, 0.0, 1.0)
        cols[name] = values

    _make_consistent(cols)
    frame = pd.DataFrame(cols)
    return frame, lat


def _make_consistent(cols: dict[str, np.ndarray]) -> None:
    """Cross-column rules of the real file (in place on the column dict)."""
    birth = cols["DAYS_BIRTH"]
    emp = cols[SENTINEL_COLUMN]
    worked = emp != 365243
    cols[SENTINEL_COLUMN] = np.where(worked, np.maximum(emp, birth + ADULT_DAYS), emp)
    cols["DAYS_ID_PUBLISH"] = np.maximum(cols["DAYS_ID_PUBLISH"], birth + ID_DOCUMENT_DAYS)
    cols["DAYS_REGISTRATION"] = np.maximum(cols["DAYS_REGISTRATION"], birth)
    couple = np.isin(cols["NAME_FAMILY_STATUS"], ["Married", "Civil marriage"])
    fam = cols["CNT_CHILDREN"] + 1.0 + couple
    cols["CNT_FAM_MEMBERS"] = np.where(np.isnan(cols["CNT_FAM_MEMBERS"]), np.nan, fam)
    # Goods price never exceeds the credit by much (the credit may include insurance, not the reverse).
    goods = cols["AMT_GOODS_PRICE"]
    cols["AMT_GOODS_PRICE"] = np.where(np.isnan(goods), goods, np.minimum(goods, cols["AMT_CREDIT"]))
