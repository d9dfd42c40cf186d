"""Schema of the `serving` group (conf/serving/*.yaml): how the app binds and authenticates, what it shows,
and the plain words of the reasons.

The values are the YAML's (conf/serving/default.yaml, composed into params.yaml): every field is MISSING
here, like the other groups, so that a value is written once. Tests derive their settings from the composed
configuration (`compose_config().serving`). Only a label's own fields (`LabelSpec`) have defaults: a label
names what it changes (`{label: Age, unit: years, scale: -365.25}`), and an unlabelled field is shown as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING


@dataclass
class LabelSpec:
    """How a field is named and shown: shown value = raw value / scale (-365.25: days before -> years)."""

    label: str = ""  # "": worded from the column name
    unit: str = ""
    scale: float = 1.0
    decimals: int | None = None  # None: by the value's magnitude


@dataclass
class PlainWordsConfig:
    """Words of the reasons: labels of known fields and the pieces that name the others."""

    labels: dict[str, LabelSpec] = MISSING
    prefixes: dict[str, str] = MISSING  # BURO -> Credit bureau
    suffixes: dict[str, str] = MISSING  # MEAN -> average
    words: dict[str, str] = MISSING  # AMT -> amount ("" drops the word)
    levels: dict[str, dict[str, str]] = MISSING  # categorical column ("*": any) -> code -> plain words
    level_aggregates: dict[str, str] = MISSING  # MEAN of a level's indicator -> "share"
    phrases: dict[str, str] = MISSING  # the sentences of a reason ("{label} is {value}", "raises the risk")
    low_quantile: float = MISSING  # below this quantile of the known clients: "low"
    high_quantile: float = MISSING  # above: "high"; in between: "average"


@dataclass
class VocabularyConfig:
    """The words of the reasons in another language (`serving.translations.<lang>`): the same pieces as
    `PlainWordsConfig` (labels as text; units, scales and quantiles stay the English labels')."""

    labels: dict[str, str] = MISSING
    prefixes: dict[str, str] = MISSING
    suffixes: dict[str, str] = MISSING
    words: dict[str, str] = MISSING
    levels: dict[str, dict[str, str]] = MISSING
    level_aggregates: dict[str, str] = MISSING
    phrases: dict[str, str] = MISSING
    units: dict[str, str] = MISSING  # years -> ans


@dataclass
class CounterfactualConfig:
    """What would change a refused client's decision (serving/counterfactual.py): the editable fields (never
    age, gender or another protected or immutable field), the factors tried, the bounds."""

    fields: list[str] = MISSING  # application columns the search may change (credit, annuity, goods price)
    term: list[str] = MISSING  # [credit, annuity]: their ratio is the term, worded when it changes
    factors: list[float] = MISSING  # each field's value is multiplied by these
    max_fields: int = MISSING  # fields changed at once, at most
    bounds_quantiles: list[float] = MISSING  # training range of a field: these quantiles of the known clients


@dataclass
class AuthConfig:
    """Names of the environment variables holding the user and the password (never their values)."""

    user_env: str = MISSING
    password_env: str = MISSING
    max_failures: int = MISSING  # failed sign-ins in a row of one user from one address before a lock
    max_failures_per_address: int = MISSING  # failed sign-ins from one address (any user) before a lock
    lock_seconds: float = MISSING  # how long a locked user / address is refused (even the right password)
    failure_delay_seconds: float = MISSING  # every failed sign-in is answered this much later


@dataclass
class RestConfig:
    """The REST endpoint of the champion (`credit-scoring serve`, `make serve`: MLflow's scoring server)."""

    host: str = MISSING  # loopback by default
    port: int = MISSING
    workers: int = MISSING  # uvicorn workers
    timeout: int = MISSING  # seconds per request


@dataclass
class ServingConfig:
    """The `serving` group (conf/serving/default.yaml): the relationship managers' app. The registry it serves
    from and the stage outputs it reads are the pipeline's own (`registry`, `paths`)."""

    name: str = MISSING
    host: str = MISSING
    port: int = MISSING
    allow_public_without_auth: bool = MISSING  # bind beyond loopback without authentication
    auth: AuthConfig = MISSING
    reload_seconds: float = MISSING  # how often the alias is checked (0: only on request)
    reasons: int = MISSING  # reasons shown for one client
    batch_reasons: int = MISSING  # reasons written per row of a batch
    batch_max_rows: int = MISSING
    max_upload: str = MISSING  # largest upload, e.g. 50mb
    neighbours: int = MISSING  # similar clients (nearest known clients)
    neighbour_features: int = MISSING  # most important numeric features spanning the neighbours' space
    context_rows: int = MISSING  # known clients drawn for the distributions and the reasons' quantiles
    importance_rows: int = MISSING  # known clients explained for the global importance
    scatter_rows: int = MISSING  # points of the bivariate chart
    chunk_rows: int = MISSING  # rows preprocessed at once when a champion is loaded
    seed: int = MISSING
    what_if_fields: list[str] = MISSING  # application columns editable in the app
    plain_words: PlainWordsConfig = MISSING  # the reasons' words in English
    translations: dict[str, VocabularyConfig] = MISSING  # ... and in other languages (fr)
    counterfactual: CounterfactualConfig = MISSING
    rest: RestConfig = MISSING  # the REST endpoint (`credit-scoring serve`)
