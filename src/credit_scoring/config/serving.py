"""Schema of the `serving` group (conf/serving/*.yaml): how the app binds and authenticates, what it shows,
and the plain words of the reasons."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LabelSpec:
    """How a field is named and shown: shown value = raw value / scale (-365.25: days before -> years)."""

    label: str = ""
    unit: str = ""
    scale: float = 1.0
    decimals: int | None = None


@dataclass
class PlainWordsConfig:
    """Words of the reasons: labels of known fields and the pieces that name the others."""

    labels: dict[str, LabelSpec] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)  # BURO -> Credit bureau
    suffixes: dict[str, str] = field(default_factory=dict)  # MEAN -> average
    words: dict[str, str] = field(default_factory=dict)  # AMT -> amount ("" drops the word)
    low_quantile: float = 0.25  # below: "low"
    high_quantile: float = 0.75  # above: "high"


@dataclass
class AuthConfig:
    """Names of the environment variables holding the user and the password (never their values)."""

    user_env: str = "CREDIT_APP_USER"
    password_env: str = "CREDIT_APP_PASSWORD"


@dataclass
class ServingConfig:
    """The `serving` group (conf/serving/default.yaml): the relationship managers' app. The registry it serves
    from and the stage outputs it reads are the pipeline's own (`registry`, `paths`)."""

    name: str = "app"
    host: str = "127.0.0.1"
    port: int = 7860
    allow_public_without_auth: bool = False  # bind beyond loopback without authentication
    auth: AuthConfig = field(default_factory=AuthConfig)
    reload_seconds: float = 30.0  # how often the alias is checked (0: only on request)
    reasons: int = 5  # reasons shown for one client
    batch_reasons: int = 3  # reasons written per row of a batch
    batch_max_rows: int = 50_000
    max_upload: str = "50mb"
    neighbours: int = 200  # similar clients (nearest known clients)
    neighbour_features: int = 10  # most important numeric features spanning the neighbours' space
    context_rows: int = 5_000  # known clients drawn for the distributions and the reasons' quantiles
    importance_rows: int = 1_000  # known clients explained for the global importance
    scatter_rows: int = 2_000  # points of the bivariate chart
    chunk_rows: int = 2_000  # rows preprocessed at once when a champion is loaded
    seed: int = 0
    what_if_fields: list[str] = field(default_factory=list)  # application columns editable in the app
    plain_words: PlainWordsConfig = field(default_factory=PlainWordsConfig)
