"""Messy CSV tables like the ones people upload, written by code for the tests.

Each table imitates a well-known kind of data set and carries what a person would expect
of it: the target they would pick, the columns that cannot be used as they are (and why),
and the features that are left. The targets depend on usable features plus noise, so a
small network trained on the features beats chance clearly.

Reason codes for a left-out column: "id", "text", "date", "categories" (over 50 distinct
short labels), "missing" (over 80% empty), "constant". Each left-out column is built to
meet exactly one of them.

How the target is guessed (the tables are designed around it):
1. a column named like a target (``TARGET_NAMES``, compared lower-cased without spaces,
   underscores and dashes), wherever it is;
2. else the last column with exactly two distinct values;
3. else the last usable column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TARGET_NAMES = frozenset(
    "target label class y outcome result survived churn churned species diagnosis default fraud isfraud response "
    "approved passed grade quality rating price saleprice salary income sales revenue cost value".split()
)
REASONS = ("id", "text", "date", "categories", "missing", "constant")
# the cells pandas reads as missing that the tables use
_MISSING = {"", "NA", "N/A", "null"}
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


@dataclass(frozen=True)
class MessyTable:
    name: str  # short id, e.g. "titanic_like"
    filename: str  # as uploaded, e.g. "passengers.csv"
    csv: bytes  # the file's bytes exactly as a user would have them
    target: str  # the column a person would predict
    task: str  # "classification" or "regression"
    n_classes: int | None  # classification: classes after dropping rows without a target
    left_out: dict[str, str]  # column -> reason code; every other non-target column is usable
    features: tuple[str, ...]  # the usable feature columns, in file order


def corpus() -> list[MessyTable]:
    """Every table, in a fixed order."""
    return [table() for table in TABLES]


def write_all(folder: Path) -> dict[str, Path]:
    """Each table written to ``folder/filename``; table name -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table in corpus():
        path = folder / table.filename
        path.write_bytes(table.csv)
        paths[table.name] = path
    return paths


# ---------------------------------------------------------------------------- helpers


def _table(
    name: str,
    filename: str,
    columns: dict[str, list[str]],
    target: str,
    task: str,
    left_out: dict[str, str],
    *,
    sep: str = ",",
    newline: str = "\n",
    encoding: str = "utf-8",
    quote_header: bool = False,
) -> MessyTable:
    """A MessyTable from columns of ready-written cells ("" or a missing marker for missing)."""
    assert target in columns and target not in left_out and set(left_out) <= set(columns), name
    assert set(left_out.values()) <= set(REASONS), name
    assert len({len(v) for v in columns.values()}) == 1, f"{name}: columns differ in length"
    buf = io.StringIO()
    header = csv.writer(
        buf, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_header else csv.QUOTE_MINIMAL
    )
    header.writerow(columns)
    csv.writer(buf, delimiter=sep, lineterminator=newline).writerows(zip(*columns.values(), strict=True))
    n_classes = None
    if task == "classification":
        n_classes = len({v for v in columns[target] if v not in _MISSING})
    features = tuple(c for c in columns if c != target and c not in left_out)
    return MessyTable(
        name, filename, buf.getvalue().encode(encoding), target, task, n_classes, dict(left_out), features
    )


def _fmt(values: np.ndarray, spec: str) -> list[str]:
    return [format(v, spec) for v in values.tolist()]


def _pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> np.ndarray:
    """Indices into ``options`` (so the caller can give each option an effect)."""
    return rng.choice(len(options), size=n, p=p)


def _labels(options: list[str], index: np.ndarray) -> list[str]:
    return [options[i] for i in index.tolist()]


def _blank(
    cells: list[str], missing: np.ndarray, markers: tuple[str, ...] = ("",), rng: np.random.Generator | None = None
) -> list[str]:
    """``cells`` with the ``missing`` rows replaced by a marker (one at random per row when several)."""
    if len(markers) == 1 or rng is None:
        which = np.zeros(len(cells), dtype=int)
    else:
        which = rng.integers(0, len(markers), len(cells))
    return [markers[w] if m else c for c, m, w in zip(cells, missing.tolist(), which.tolist(), strict=True)]


def _flags(values: np.ndarray, yes: str = "Yes", no: str = "No") -> list[str]:
    return [yes if v else no for v in values.tolist()]


def _chance(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    """True with probability sigmoid(logit)."""
    return rng.random(len(logit)) < 1 / (1 + np.exp(-logit))


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _sentences(rng: np.random.Generator, n: int, *parts: list[str]) -> list[str]:
    """Free text: one phrase from each part, joined. Enough combinations that most rows differ."""
    picks = [rng.integers(0, len(p), n).tolist() for p in parts]
    return ["".join(p[i] for p, i in zip(parts, row, strict=True)) for row in zip(*picks, strict=True)]


def _days(rng: np.random.Generator, n: int, start: str, span: int) -> np.ndarray:
    return np.datetime64(start, "D") + rng.integers(0, span, n)


def _iso(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days, unit="D").tolist()


def _day_first(days: np.ndarray) -> list[str]:
    return [f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in _iso(days)]


def _month_first(days: np.ndarray) -> list[str]:
    return [f"{s[5:7]}/{s[8:10]}/{s[:4]}" for s in _iso(days)]


def _timestamps(rng: np.random.Generator, n: int, start: str, span_days: int, ordered: bool = False) -> list[str]:
    seconds = rng.integers(0, span_days * 86400, n)
    if ordered:
        seconds = np.sort(seconds)
    stamps = np.datetime64(start, "s") + seconds
    return [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="s").tolist()]


def _codes(rng: np.random.Generator, n: int, alphabet: str, length: int, prefix: str = "") -> list[str]:
    """Distinct random codes such as "7590-VHVEG" parts or VINs."""
    letters = np.array(list(alphabet))
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for row in letters[rng.integers(0, len(letters), (n, length))]:
            code = prefix + "".join(row)
            if code not in seen and len(out) < n:
                seen.add(code)
                out.append(code)
    return out


# ---------------------------------------------------------------------------- tables


def titanic_like() -> MessyTable:
    """The Titanic passenger list: 0/1 Survived second, names with commas, repeated tickets, cabins mostly unknown."""
    rng = np.random.default_rng(1912)
    n = 891
    pclass = rng.choice([1, 2, 3], n, p=[0.24, 0.21, 0.55])
    female = rng.random(n) < np.where(pclass == 3, 0.3, 0.45)
    age = rng.normal(np.choose(pclass - 1, [38, 30, 25]), 13).clip(0.42, 80)
    child = age < 13
    sibsp = np.where(child, rng.integers(0, 5, n), rng.choice(5, n, p=[0.7, 0.23, 0.04, 0.02, 0.01]))
    parch = np.where(child, rng.integers(1, 3, n), rng.choice(4, n, p=[0.82, 0.1, 0.06, 0.02]))
    fare = np.exp(rng.normal(np.choose(pclass - 1, [4.3, 3.0, 2.2]), 0.45)) * (1 + 0.25 * (sibsp + parch))
    embarked = _pick(rng, ["S", "C", "Q"], n, [0.72, 0.19, 0.09])
    # women and children first, and first class nearer the boats
    p_survive = np.where(female, np.choose(pclass - 1, [0.96, 0.9, 0.5]), np.choose(pclass - 1, [0.38, 0.15, 0.12]))
    p_survive = np.where(child & ~female, p_survive + 0.4, p_survive) + 0.05 * (embarked == 1)
    survived = rng.random(n) < p_survive.clip(0, 0.98)

    surnames = (
        "Braund Cumings Heikkinen Futrelle Allen Moran McCarthy Palsson Johnson Nasser Sandstrom Bonnell Saundercock "
        "Andersson Vestrom Hewlett Rice Williams Vander Masselmani Fynney Beesley McGowan Sloper Asplund Emir Fortune "
        "Todoroff Uruchurtu Spencer Glynn Wheadon Meyer Holverson Mamee Cann Nicola Ahlin Turpin Kraeff Laroche "
        "Devaney Rugg Harris Skoog Hickman Moubarek Nye Crease Kink Jenkin Goldsmith Chibnall Baumann Ali Green "
        "Sage Ostby Carter Goodwin Olsen Abbott Keane Dodge Dean Ward Hocking Graham Davies Backstrom"
    ).split()
    men = "Owen John William James Thomas Henry Charles George Edward Frederick Arthur Albert Ernst Karl Lewis Jacques".split()
    women = "Florence Laina Lily Elisabeth Margaret Anna Mary Alice Edith Emily Helen Ellen Marion Augusta Bertha Nora".split()
    men_middle = "Harris Bradley Heath Joseph Frank Alexander Francis Robert Edwin".split()
    women_middle = "Ann Marie Louise Elizabeth May Rose Jane".split()
    names = []
    for i in range(n):
        last = surnames[rng.integers(len(surnames))]
        middle = women_middle if female[i] else men_middle
        mid = middle[rng.integers(len(middle))]
        if female[i]:
            first = women[rng.integers(len(women))]
            if age[i] >= 20 and rng.random() < 0.6:
                husband = men[rng.integers(len(men))]
                maiden = surnames[rng.integers(len(surnames))]
                names.append(f"{last}, Mrs. {husband} ({first} {mid} {maiden})")
            else:
                names.append(f"{last}, Miss. {first} {mid}")
        else:
            title = "Master." if child[i] else "Mr."
            names.append(f"{last}, {title} {men[rng.integers(len(men))]} {mid}")
        if rng.random() < 0.03:  # a nickname in double quotes, doubled inside the quoted field
            names[-1] += f' "{women[rng.integers(len(women))] if female[i] else men[rng.integers(len(men))]}"'

    # ticket numbers are shared by families and travel groups: many repeat, none is an id
    prefixes = ["", "", "", "A/5 ", "PC ", "STON/O2. ", "C.A. ", "SOTON/O.Q. ", "W./C. ", "CA ", "SC/Paris "]
    pool = [f"{prefixes[rng.integers(len(prefixes))]}{rng.integers(1000, 400000)}" for _ in range(560)]
    ticket = [pool[i] for i in rng.integers(0, len(pool), n).tolist()]

    # cabins were recorded mostly for first class; few distinct ones, so only "mostly missing" applies
    decks = [f"{d}{rng.integers(2, 130)}" for d in "ABCDEFG" for _ in range(6)]
    cabins = decks[:40] + ["B57 B59 B63 B66", "C23 C25 C27", "B96 B98", "F G73", "C62 C64"]
    has_cabin = rng.random(n) < np.choose(pclass - 1, [0.5, 0.05, 0.01])
    cabin = [cabins[rng.integers(len(cabins))] if h else "" for h in has_cabin.tolist()]

    age_cells = [
        f"{a:.2f}" if a < 1 else (f"{int(a)}.5" if r < 0.04 else str(int(a)))
        for a, r in zip(age.tolist(), rng.random(n).tolist(), strict=True)
    ]
    embarked_cells = _labels(["S", "C", "Q"], embarked)
    embarked_cells[61] = embarked_cells[829] = ""
    columns = {
        "PassengerId": [str(i) for i in range(1, n + 1)],
        "Survived": _fmt(survived.astype(int), "d"),
        "Pclass": _fmt(pclass, "d"),
        "Name": names,
        "Sex": _flags(female, "female", "male"),
        "Age": _blank(age_cells, rng.random(n) < 0.2),
        "SibSp": _fmt(sibsp, "d"),
        "Parch": _fmt(parch, "d"),
        "Ticket": ticket,
        "Fare": _fmt(fare, ".4f"),
        "Cabin": cabin,
        "Embarked": embarked_cells,
    }
    left_out = {"PassengerId": "id", "Name": "text", "Ticket": "categories", "Cabin": "missing"}
    return _table("titanic_like", "passengers.csv", columns, "Survived", "classification", left_out)


def loan_applications() -> MessyTable:
    """Bank loan applications: money written as "85,000", "$12,500.00" and "12.5%", Yes/No approved mid-file."""
    rng = np.random.default_rng(2024)
    n = 1000
    age = rng.integers(21, 70, n)
    employment_years = np.minimum(rng.gamma(2.0, 4.0, n).astype(int), age - 18)
    earnings = (np.exp(rng.normal(np.log(62000), 0.55, n)) / 500).round().astype(int) * 500
    earnings[rng.choice(n, 6, replace=False)] = (
        rng.integers(1000, 2500, 6) * 1000
    )  # executives: two thousands separators
    requested = (np.exp(rng.normal(np.log(16000), 0.7, n)) / 25).round() * 25
    score = rng.normal(680, 65, n).clip(300, 850).round().astype(int)
    rate = (9 + (740 - score) * 0.035 + rng.normal(0, 1.2, n)).clip(3.5, 29.9)
    homes = ["RENT", "MORTGAGE", "OWN", "OTHER"]
    home = _pick(rng, homes, n, [0.42, 0.4, 0.15, 0.03])
    purposes = ["debt_consolidation", "credit_card", "home_improvement", "car", "medical", "small_business", "wedding"]
    purpose = _pick(rng, purposes, n, [0.4, 0.2, 0.12, 0.1, 0.07, 0.07, 0.04])
    cosigner = rng.random(n) < 0.15
    open_accounts = rng.poisson(6, n)
    burden = np.log(requested / earnings / 0.26)
    logit = (
        0.5
        + 0.06 * (score - 680)
        - 3.0 * burden
        + 2.5 * cosigner
        + 1.0 * (home == 2)
        - 0.25 * (open_accounts - 6)
        - 1.5 * (purpose == 5)
        + 0.06 * employment_years
    )
    approved = _chance(rng, logit)
    states = (
        "CA TX FL NY PA IL OH GA NC MI NJ VA WA AZ MA TN IN MO MD WI CO MN SC AL LA KY OR OK CT UT IA NV AR MS KS NM "
        "NE ID WV HI"
    ).split()
    state = rng.choice(len(states), n, p=np.linspace(3, 0.2, len(states)) / np.linspace(3, 0.2, len(states)).sum())
    loan_ids = [f"LN{k}" for k in rng.choice(np.arange(100000, 999999), n, replace=False).tolist()]
    columns = {
        "loan_id": loan_ids,
        "applied_on": _iso(np.sort(_days(rng, n, "2023-01-02", 540))),
        "age": _fmt(age, "d"),
        "employment_years": _fmt(employment_years, "d"),
        "annual_earnings": _fmt(earnings, ",d"),
        "requested_amount": [f"${v:,.2f}" for v in requested.tolist()],
        "interest_rate": [f"{v:.1f}%" for v in rate.tolist()],
        "home_ownership": _labels(homes, home),
        "purpose": _labels(purposes, purpose),
        "has_cosigner": _flags(cosigner, "Y", "N"),
        "approved": _flags(approved),
        # bureau scores are not pulled for every application
        "credit_score": _blank(_fmt(score, "d"), rng.random(n) < 0.3),
        "open_accounts": _fmt(open_accounts, "d"),
        "state": _labels(states, state),
        "country": ["US"] * n,
    }
    left_out = {"loan_id": "id", "applied_on": "date", "country": "constant"}
    return _table("loan_applications", "loan_applications.csv", columns, "approved", "classification", left_out)


def telco_churn() -> MessyTable:
    """Telecom customer churn (UTF-8 with a BOM, as Excel saves it): 0/1 and Yes/No flags, blank totals for new customers."""
    rng = np.random.default_rng(7590)
    n = 1200
    senior = rng.random(n) < 0.16
    partner = rng.random(n) < 0.48
    dependents = partner & (rng.random(n) < 0.6)
    contracts = ["Month-to-month", "One year", "Two year"]
    contract = _pick(rng, contracts, n, [0.55, 0.21, 0.24])
    tenure = np.where(contract == 0, rng.exponential(14, n), rng.uniform(0, 72, n)).clip(0, 72).astype(int)
    tenure[rng.choice(n, 9, replace=False)] = 0
    internets = ["DSL", "Fiber optic", "No"]
    internet = _pick(rng, internets, n, [0.34, 0.44, 0.22])
    phone = (internet == 2) | (rng.random(n) < 0.88)  # a customer has at least one service
    multiple = np.where(phone, rng.random(n) < 0.45, False)
    paperless = rng.random(n) < 0.59
    payments = ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"]
    payment = _pick(rng, payments, n, [0.34, 0.23, 0.22, 0.21])
    monthly = 19 + 6 * phone + 6 * multiple + np.choose(internet, [30, 55, 0]) + rng.normal(0, 6, n).clip(-5, 25)
    total = monthly * tenure * rng.normal(1, 0.03, n)
    logit = (
        -1.0
        + 2.2 * (contract == 0)
        - 1.0 * (contract == 2)
        - 0.06 * tenure
        + 1.3 * (internet == 1)
        - 0.8 * (internet == 2)
        + 0.8 * (payment == 0)
        + 0.5 * senior
        - 0.3 * partner
        + 0.3 * paperless
    )
    churn = _chance(rng, logit)
    customer_ids = [
        f"{num}-{code}"
        for num, code in zip(
            rng.choice(np.arange(1000, 10000), n, replace=False).tolist(), _codes(rng, n, UPPER, 5), strict=True
        )
    ]
    columns = {
        "customerID": customer_ids,
        "gender": _flags(rng.random(n) < 0.5, "Female", "Male"),
        "SeniorCitizen": _fmt(senior.astype(int), "d"),
        "Partner": _flags(partner),
        "Dependents": _flags(dependents),
        "tenure": _fmt(tenure, "d"),
        "PhoneService": _flags(phone),
        "MultipleLines": [
            "No phone service" if not p else ("Yes" if m else "No") for p, m in zip(phone, multiple, strict=True)
        ],
        "InternetService": _labels(internets, internet),
        "Contract": _labels(contracts, contract),
        "PaperlessBilling": _flags(paperless),
        "PaymentMethod": _labels(payments, payment),
        "MonthlyCharges": _fmt(monthly, ".2f"),
        # a customer who joined this month has not been billed yet
        "TotalCharges": _blank(_fmt(total, ".2f"), tenure == 0),
        "Churn": _flags(churn),
    }
    left_out = {"customerID": "id"}
    return _table(
        "telco_churn", "customer_churn.csv", columns, "Churn", "classification", left_out, encoding="utf-8-sig"
    )


def house_prices() -> MessyTable:
    """House sales (Windows line endings): SalePrice in the hundreds of thousands in mid-file, pool quality mostly blank."""
    rng = np.random.default_rng(1460)
    n = 1000
    hoods = (
        "NAmes CollgCr OldTown Edwards Somerst Gilbert NridgHt Sawyer NWAmes SawyerW BrkSide Crawfor Mitchel NoRidge "
        "Timber IDOTRR ClearCr StoneBr SWISU MeadowV Blmngtn BrDale Veenker NPkVill Blueste"
    ).split()
    hood_effect = rng.normal(0, 0.22, len(hoods))
    hood = rng.choice(len(hoods), n, p=np.linspace(4, 0.3, len(hoods)) / np.linspace(4, 0.3, len(hoods)).sum())
    zones = ["RL", "RM", "FV", "RH", "C (all)"]
    zone = _pick(rng, zones, n, [0.78, 0.15, 0.04, 0.02, 0.01])
    year = rng.integers(1880, 2010, n)
    living = (np.exp(rng.normal(np.log(1500), 0.32, n)) / 10).round() * 10
    lot = (living * rng.uniform(3, 9, n) / 10).round().astype(int) * 10
    bedrooms = np.clip((living / 500).round() + rng.integers(-1, 2, n), 1, 8).astype(int)
    baths = np.clip((living / 900).round() + rng.integers(0, 2, n), 1, 4).astype(int)
    garage = np.clip(((year - 1900) / 40 + rng.normal(0, 0.8, n)).round(), 0, 4).astype(int)
    condition = rng.choice(np.arange(1, 11), n, p=[0.01, 0.02, 0.04, 0.08, 0.28, 0.22, 0.18, 0.11, 0.04, 0.02])
    pool = rng.random(n) < 0.05
    price = (
        180000
        * (living / 1500) ** 0.85
        * np.exp(hood_effect[hood] + 0.004 * (year - 1970) + 0.06 * (condition - 5) + 0.05 * garage + 0.1 * pool)
        * np.exp(rng.normal(0, 0.1, n))
        * np.choose(zone, [1.0, 0.88, 1.1, 0.9, 0.7])
    )
    pool_quality = [["Ex", "Gd", "TA", "Fa"][rng.integers(4)] if p else "" for p in pool.tolist()]
    remarks = _sentences(
        rng,
        n,
        ["Charming ", "Spacious ", "Freshly painted ", "Sunny ", "Well kept ", "Renovated ", "Bright ", "Cosy "],
        ["family home", "bungalow", "two-storey house", "colonial", "ranch", "split-level home", "cottage"],
        [
            " close to schools",
            " with a large garden",
            " near the park",
            " on a quiet street",
            " with a new kitchen",
            " backing onto woods",
            " minutes from downtown",
            " with a finished basement",
            " on a corner lot",
        ],
        [
            ".",
            ", new roof in 2019.",
            ", must be seen!",
            ", priced to sell.",
            ", motivated seller.",
            ", open house Sunday.",
            ", sold as is.",
            ", updated windows.",
        ],
    )
    columns = {
        "Id": [str(i) for i in range(1, n + 1)],
        "Neighborhood": _labels(hoods, hood),
        "MSZoning": _labels(zones, zone),
        "LotArea": _fmt(lot, "d"),
        "YearBuilt": _fmt(year, "d"),
        "GrLivArea": _fmt(living.astype(int), "d"),
        "Bedrooms": _fmt(bedrooms, "d"),
        "FullBath": _fmt(baths, "d"),
        "OverallCond": _fmt(condition, "d"),
        "SalePrice": _fmt((price / 100).round().astype(int) * 100, "d"),
        "GarageCars": _fmt(garage, "d"),
        "HasPool": _flags(pool, "true", "false"),
        "PoolQC": pool_quality,
        "SoldOn": _iso(_days(rng, n, "2006-01-01", 1800)),
        "AgentRemarks": remarks,
    }
    left_out = {"Id": "id", "PoolQC": "missing", "SoldOn": "date", "AgentRemarks": "text"}
    return _table("house_prices", "houses.csv", columns, "SalePrice", "regression", left_out, newline="\r\n")


def wine_lab() -> MessyTable:
    """Wine lab measurements as in the UCI wine-quality file: semicolons, quoted headers, quality as low/medium/high."""
    rng = np.random.default_rng(1599)
    n = 1000
    alcohol = rng.normal(10.4, 1.05, n).clip(8.4, 14.9)
    volatile = rng.normal(0.53, 0.17, n).clip(0.12, 1.58)
    citric = (0.5 - 0.5 * volatile + rng.normal(0, 0.15, n)).clip(0, 1)
    sugar = np.exp(rng.normal(0.85, 0.35, n))
    chlorides = rng.gamma(6, 0.0145, n).clip(0.012, 0.61)
    free_so2 = rng.gamma(2.5, 6.3, n).clip(1, 72).round().astype(int)
    total_so2 = (free_so2 * rng.uniform(1.5, 4.5, n)).round().astype(int)
    fixed = rng.normal(8.3, 1.7, n).clip(4.6, 15.9)
    density = 0.9967 - 0.0009 * _z(alcohol) + 0.0006 * _z(fixed) + rng.normal(0, 0.0009, n)
    ph = (3.31 - 0.08 * _z(fixed) + rng.normal(0, 0.12, n)).clip(2.74, 4.01)
    sulphates = rng.gamma(12, 0.055, n).clip(0.33, 2.0)
    score = (
        1.0 * _z(alcohol) - 0.65 * _z(volatile) + 0.45 * _z(sulphates) + 0.15 * _z(citric) - 0.3 * _z(total_so2)
    ) + rng.normal(0, 0.45, n)
    quality = np.digitize(score, np.quantile(score, [0.3, 0.75]))
    columns = {
        "fixed acidity": _fmt(fixed, ".1f"),
        "volatile acidity": _fmt(volatile, ".3f"),
        "citric acid": _fmt(citric, ".2f"),
        "residual sugar": _blank(_fmt(sugar, ".1f"), rng.random(n) < 0.03),
        "chlorides": _fmt(chlorides, ".3f"),
        "free sulfur dioxide": _fmt(free_so2, "d"),
        "total sulfur dioxide": _fmt(total_so2, "d"),
        "density": _fmt(density, ".5f"),
        "pH": _fmt(ph, ".2f"),
        "sulphates": _fmt(sulphates, ".2f"),
        "alcohol": _fmt(alcohol, ".1f"),
        "quality": _labels(["low", "medium", "high"], quality),
    }
    return _table(
        "wine_lab", "winequality-red.csv", columns, "quality", "classification", {}, sep=";", quote_header=True
    )


def hospital_visits() -> MessyTable:
    """Hospital admissions exported tab-separated: NA, N/A and null for missing, Yes/No readmitted before the notes."""
    rng = np.random.default_rng(30)
    n = 800
    age = rng.normal(62, 17, n).clip(18, 97).astype(int)
    departments = [
        "Cardiology",
        "Orthopaedics",
        "General Surgery",
        "Oncology",
        "Neurology",
        "Respiratory",
        "Gastroenterology",
        "Emergency",
    ]
    dept = _pick(rng, departments, n)
    dept_effect = np.array([0.6, -0.7, -0.2, 0.9, 0.1, 0.5, 0.0, -0.4])
    triage = rng.choice([1, 2, 3, 4, 5], n, p=[0.08, 0.22, 0.4, 0.22, 0.08])
    stay = rng.gamma(1.6, 3.0 + (5 - triage), n).round().astype(int).clip(0, 45)
    systolic = rng.normal(132 + 0.2 * (age - 60), 18, n).round().astype(int)
    heart_rate = rng.normal(82, 14, n).round().astype(int)
    temperature = rng.normal(37.0, 0.6, n)
    cholesterol = rng.normal(5.2, 1.1, n).clip(2.5, 10)
    prior = rng.poisson(0.4 + 0.02 * (age - 18), n).clip(0, 9)
    smoker = rng.random(n) < 0.22
    diabetic = rng.random(n) < 0.12 + 0.003 * (age - 18)
    insurances = ["Public", "Private", "Uninsured"]
    insurance = _pick(rng, insurances, n, [0.55, 0.38, 0.07])
    logit = (
        -3.6
        + 1.4 * prior
        + 2.4 * diabetic
        + 0.06 * (age - 60)
        + 0.18 * stay
        + 1.2 * (triage <= 2)
        + 2.0 * dept_effect[dept]
        + 0.8 * smoker
    )
    readmitted = _chance(rng, logit)
    notes = _sentences(
        rng,
        n,
        ["Patient discharged ", "Discharged ", "Sent home ", "Transferred to rehab ", "Released "],
        [
            "in stable condition",
            "after observation",
            "with new medication",
            "against medical advice",
            "with home oxygen",
            "after wound care",
            "pain controlled",
        ],
        [", follow-up in ", "; GP review in ", ", outpatient clinic in ", ", recheck bloods in "],
        ["1", "2", "3", "4", "6", "8"],
        [" weeks.", " weeks, family informed.", " weeks, leaflet given.", " days."],
    )
    columns = {
        "visit_id": [f"V{k}" for k in rng.choice(np.arange(1000000, 9999999), n, replace=False).tolist()],
        "admitted_at": _timestamps(rng, n, "2024-01-01", 365, ordered=True),
        "age": _fmt(age, "d"),
        "sex": _flags(rng.random(n) < 0.52, "F", "M"),
        "department": _labels(departments, dept),
        "triage_level": _fmt(triage, "d"),
        "length_of_stay_days": _fmt(stay, "d"),
        # records merged from wards that write missing readings differently
        "systolic_bp": _blank(_fmt(systolic, "d"), rng.random(n) < 0.05, ("NA", "null"), rng),
        "heart_rate": _blank(_fmt(heart_rate, "d"), rng.random(n) < 0.04, ("N/A",)),
        "temperature_c": _blank(_fmt(temperature, ".1f"), rng.random(n) < 0.03, ("null",)),
        "cholesterol_mmol": _blank(_fmt(cholesterol, ".1f"), rng.random(n) < 0.3),
        "prior_admissions": _fmt(prior, "d"),
        "smoker": _flags(smoker, "Y", "N"),
        "diabetic": _flags(diabetic, "true", "false"),
        "insurance": _labels(insurances, insurance),
        "readmitted": _flags(readmitted),
        "discharge_notes": notes,
    }
    left_out = {"visit_id": "id", "admitted_at": "date", "discharge_notes": "text"}
    return _table("hospital_visits", "hospital_visits.tsv", columns, "readmitted", "classification", left_out, sep="\t")


def product_reviews() -> MessyTable:
    """Online shop reviews: quoted review text with commas and quotes, US dates, Yes/No recommend last."""
    rng = np.random.default_rng(5)
    n = 300
    categories = ["Electronics", "Home & Kitchen", "Books", "Toys", "Clothing", "Beauty"]
    category = _pick(rng, categories, n)
    price = np.exp(rng.normal(np.choose(category, [4.5, 3.5, 2.7, 3.0, 3.3, 2.9]), 0.5))
    stars = rng.choice([1, 2, 3, 4, 5], n, p=[0.1, 0.08, 0.12, 0.25, 0.45])
    verified = rng.random(n) < 0.8
    helpful = rng.poisson(1 + 2 * (stars <= 2), n)
    recommend = _chance(rng, 2.2 * (stars - 3.3) + 0.4 * verified - 0.1 * helpful)
    text = _sentences(
        rng,
        n,
        ["Great ", "Terrible ", "Decent ", "Cheap ", "Lovely ", "Flimsy ", "Solid ", "Overpriced "],
        ["quality", "value", "build", "packaging", "finish", "size", "colour"],
        [", arrived ", ", delivered ", ", came "],
        ["early", "late", "on time", "damaged", "in a huge box"],
        [
            ". Would buy again.",
            '. The "premium" feel is not there.',
            ". Returned it, sadly.",
            ". My kids love it.",
            ". Does what it says.",
            ". Stopped working after a week.",
            ", and support was helpful.",
        ],
    )
    columns = {
        "review_id": _codes(rng, n, UPPER + DIGITS, 13, prefix="R"),
        "posted": _month_first(_days(rng, n, "2023-11-01", 150)),
        "product_category": _labels(categories, category),
        "price_paid": _fmt(price, ".2f"),
        "stars": _fmt(stars, "d"),
        "helpful_votes": _fmt(helpful, "d"),
        "verified_purchase": _flags(verified, "true", "false"),
        "review_text": text,
        "recommend": _flags(recommend),
    }
    left_out = {"review_id": "id", "posted": "date", "review_text": "text"}
    return _table("product_reviews", "reviews.csv", columns, "recommend", "classification", left_out)


def employee_attrition() -> MessyTable:
    """HR attrition data in the IBM sample's layout: constant Over18 and StandardHours, Yes/No Attrition last."""
    rng = np.random.default_rng(1470)
    n = 1000
    age = rng.normal(37, 9, n).clip(18, 60).astype(int)
    travels = ["Non-Travel", "Travel_Rarely", "Travel_Frequently"]
    travel = _pick(rng, travels, n, [0.1, 0.71, 0.19])
    departments = ["Research & Development", "Sales", "Human Resources"]
    department = _pick(rng, departments, n, [0.65, 0.3, 0.05])
    distance = rng.integers(1, 30, n)
    education = rng.choice([1, 2, 3, 4, 5], n, p=[0.12, 0.19, 0.39, 0.27, 0.03])
    fields = ["Life Sciences", "Medical", "Marketing", "Technical Degree", "Human Resources", "Other"]
    field = _pick(rng, fields, n, [0.41, 0.32, 0.11, 0.09, 0.02, 0.05])
    level = np.clip(((age - 18) / 9 + rng.normal(0, 0.8, n)).round(), 1, 5).astype(int)
    roles = [
        "Sales Executive",
        "Research Scientist",
        "Laboratory Technician",
        "Manufacturing Director",
        "Healthcare Representative",
        "Manager",
        "Sales Representative",
        "Research Director",
        "Human Resources",
    ]
    role = _pick(rng, roles, n)
    satisfaction = rng.integers(1, 5, n)
    marital = _pick(rng, ["Single", "Married", "Divorced"], n, [0.32, 0.46, 0.22])
    income = (level * 3800 + rng.normal(0, 900, n)).clip(1000, 20000).round(-1).astype(int)
    companies = rng.integers(0, 10, n)
    total_years = np.maximum(age - 18 - rng.integers(0, 6, n), 0)
    years_here = np.minimum(rng.gamma(1.5, 4.5, n).astype(int), total_years)
    overtime = rng.random(n) < 0.28
    logit = (
        -0.4
        + 3.0 * overtime
        + 1.5 * (marital == 0)
        - 0.7 * (satisfaction - 2.5)
        - 0.2 * years_here
        - 0.9 * (level - 1)
        + 1.5 * (travel == 2)
        + 0.06 * (distance - 10)
        + 0.2 * (companies - 3)
    )
    attrition = _chance(rng, logit)
    columns = {
        "EmployeeNumber": _fmt(rng.choice(np.arange(1, 2100), n, replace=False), "d"),
        "Age": _fmt(age, "d"),
        "BusinessTravel": _labels(travels, travel),
        "Department": _labels(departments, department),
        "DistanceFromHome": _fmt(distance, "d"),
        "Education": _fmt(education, "d"),
        "EducationField": _labels(fields, field),
        "Gender": _flags(rng.random(n) < 0.4, "Female", "Male"),
        "JobLevel": _fmt(level, "d"),
        "JobRole": _labels(roles, role),
        "JobSatisfaction": _fmt(satisfaction, "d"),
        "MaritalStatus": _labels(["Single", "Married", "Divorced"], marital),
        "MonthlyIncome": _fmt(income, "d"),
        "NumCompaniesWorked": _fmt(companies, "d"),
        "OverTime": _flags(overtime),
        # every employee is an adult on the standard contract: nothing to learn from
        "Over18": ["Y"] * n,
        "StandardHours": ["80"] * n,
        "TotalWorkingYears": _fmt(total_years, "d"),
        "YearsAtCompany": _fmt(years_here, "d"),
        "Attrition": _flags(attrition),
    }
    left_out = {"EmployeeNumber": "id", "Over18": "constant", "StandardHours": "constant"}
    return _table("employee_attrition", "employees.csv", columns, "Attrition", "classification", left_out)


def used_cars() -> MessyTable:
    """Used-car listings: 40 models, mileage like "45,200", price mid-file, VINs, day-first dates, seller comments."""
    rng = np.random.default_rng(17)
    n = 900
    catalogue = {
        "Toyota": {"Corolla": 24, "Yaris": 19, "RAV4": 33, "Prius": 28},
        "Ford": {"Fiesta": 18, "Focus": 23, "Kuga": 30, "Mustang": 45},
        "Volkswagen": {"Polo": 20, "Golf": 26, "Passat": 32, "Tiguan": 35},
        "BMW": {"1 Series": 30, "3 Series": 40, "5 Series": 52, "X3": 50},
        "Audi": {"A3": 31, "A4": 39, "Q5": 49},
        "Mercedes-Benz": {"A-Class": 32, "C-Class": 43, "E-Class": 55},
        "Honda": {"Civic": 25, "Jazz": 20, "CR-V": 33},
        "Nissan": {"Micra": 16, "Qashqai": 27, "Leaf": 30},
        "Hyundai": {"i10": 13, "i30": 21, "Tucson": 29},
        "Kia": {"Picanto": 13, "Ceed": 22, "Sportage": 30},
        "Tesla": {"Model 3": 45, "Model Y": 52},
        "Renault": {"Clio": 18, "Megane": 23, "Zoe": 27},
        "Skoda": {"Octavia": 25},
    }
    models = [(make, model, base) for make, ms in catalogue.items() for model, base in ms.items()]
    electric = {"Leaf", "Model 3", "Model Y", "Zoe"}
    suvs = {"RAV4", "Kuga", "Tiguan", "X3", "Q5", "CR-V", "Qashqai", "Tucson", "Sportage", "Model Y"}
    pick = rng.integers(0, len(models), n)
    base = np.array([models[i][2] for i in pick.tolist()]) * 1000.0
    year = rng.integers(2008, 2024, n)
    car_age = 2024 - year
    mileage = (car_age * rng.normal(9000, 3000, n).clip(2000, 20000) / 100).round().astype(int) * 100
    fuels = ["Petrol", "Diesel", "Hybrid", "Electric"]
    fuel = np.where([models[i][1] in electric for i in pick], 3, rng.choice(3, n, p=[0.55, 0.33, 0.12]))
    fuel[[models[i][1] == "Prius" for i in pick]] = 2
    automatic = rng.random(n) < np.where(fuel >= 2, 1.0, 0.45)
    engine = np.choose(rng.integers(0, 5, n), [1.0, 1.4, 1.6, 2.0, 2.5])
    owners = np.clip(1 + rng.poisson(car_age / 5), 1, 6)
    price = (
        base
        * 0.87**car_age
        * np.exp(-0.35 * mileage / 100000 - 0.04 * (owners - 1) + 0.05 * automatic)
        * np.exp(rng.normal(0, 0.1, n))
    )
    price = (price / 50).round() * 50 - 5
    bodies = ["Hatchback", "Saloon", "Estate", "Coupe"]
    body = [("SUV" if models[i][1] in suvs else bodies[rng.integers(4)]) for i in pick.tolist()]
    colours = ["Black", "White", "Silver", "Grey", "Blue", "Red", "Green", "Brown", "Orange", "Yellow"]
    comments = _sentences(
        rng,
        n,
        ["One owner", "Full service history", "Cambelt done", "Ex-lease", "Garaged", "Lady owner", "Private plate"],
        [", new tyres", ", MOT until March", ", two keys", ", minor scuff on bumper", ", heated seats", ", sat nav"],
        [", towbar", ", roof rails", ", parking sensors", ", recent service", ", clean interior", ", dog guard"],
        [", 2 keys", ", 3 keys", ", spare wheel", ", no spare wheel", ", handbook present"],
        [", no time wasters.", ", px welcome.", ". Cash or bank transfer.", ". Drives perfectly.", "."],
    )
    columns = {
        "vin": _codes(rng, n, "ABCDEFGHJKLMNPRSTUVWXYZ" + DIGITS, 17),
        "make": [models[i][0] for i in pick.tolist()],
        "model": [models[i][1] for i in pick.tolist()],
        "year": _fmt(year, "d"),
        "mileage": _fmt(mileage, ",d"),
        "fuel": _labels(fuels, fuel),
        "transmission": _flags(automatic, "Automatic", "Manual"),
        "engine_l": _blank(_fmt(engine, ".1f"), fuel == 3),  # an electric car has no engine size
        "owners": _fmt(owners, "d"),
        "price": _fmt(price.astype(int), "d"),
        "body_type": body,
        "colour": _labels(colours, rng.integers(0, len(colours), n)),
        "listed_on": _day_first(_days(rng, n, "2024-01-01", 200)),
        "seller_comment": comments,
    }
    left_out = {"vin": "id", "listed_on": "date", "seller_comment": "text"}
    return _table("used_cars", "used_cars.csv", columns, "price", "regression", left_out)


def weather_stations() -> MessyTable:
    """Daily observations from 60 weather stations, tab-separated with NA: tomorrow's maximum is the last usable column."""
    rng = np.random.default_rng(2023)
    stations, days = 60, 18
    n = stations * days
    codes = [f"ASN000{k}" for k in rng.choice(np.arange(10000, 99999), stations, replace=False).tolist()]
    mean_temp = rng.normal(23, 6, stations)
    # a day's anomaly carries over to the next: the weather persists
    anomaly = np.zeros((stations, days + 1))
    anomaly[:, 0] = rng.normal(0, 3.5, stations)
    for t in range(1, days + 1):
        anomaly[:, t] = 0.7 * anomaly[:, t - 1] + rng.normal(0, 2.5, stations)
    cloud = rng.integers(0, 9, (stations, days + 1))
    max_temp = mean_temp[:, None] + anomaly - 0.3 * (cloud - 4)
    today, tomorrow = max_temp[:, :days].ravel(), max_temp[:, 1:].ravel()
    cloud_today = cloud[:, :days].ravel()
    min_temp = today - rng.normal(10, 2.5, n)
    humidity_9 = (70 - 1.2 * (today - 23) + 3 * (cloud_today - 4) + rng.normal(0, 8, n)).clip(5, 100)
    humidity_3 = (humidity_9 - rng.normal(18, 7, n)).clip(3, 100)
    pressure = 1015 - 0.35 * (today - 23) + rng.normal(0, 5, n)
    rainfall = np.where(rng.random(n) < 0.15 + 0.05 * cloud_today, rng.exponential(5, n), 0)
    no_sunshine = np.repeat(rng.random(stations) < 0.3, days)  # some stations have no sunshine recorder
    sunshine = (12 - 1.2 * cloud_today + rng.normal(0, 1, n)).clip(0, 14)
    winds = "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()
    start = np.datetime64("2023-01-01") + rng.integers(0, 330, stations)
    dates = (start[:, None] + np.arange(days)).ravel()
    last_day = np.tile(np.arange(days) == days - 1, stations)
    columns = {
        "Location": list(np.repeat(codes, days)),
        "Date": _iso(dates),
        "MinTemp": _fmt(min_temp, ".1f"),
        "MaxTemp": _fmt(today, ".1f"),
        "Rainfall": _fmt(rainfall, ".1f"),
        "Sunshine": _blank(_fmt(sunshine, ".1f"), no_sunshine, ("NA",)),
        "WindDir3pm": _labels(winds, rng.integers(0, len(winds), n)),
        "WindSpeed3pm": _fmt(rng.gamma(3, 6, n).round().astype(int), "d"),
        "Humidity9am": _fmt(humidity_9.round().astype(int), "d"),
        "Humidity3pm": _fmt(humidity_3.round().astype(int), "d"),
        "Pressure9am": _fmt(pressure, ".1f"),
        "Cloud3pm": _fmt(cloud_today, "d"),
        # the newest day of each station has no tomorrow yet
        "MaxTempTomorrow": _blank(_fmt(tomorrow, ".1f"), last_day, ("NA",)),
        "Country": ["AU"] * n,
    }
    left_out = {"Location": "categories", "Date": "date", "Country": "constant"}
    return _table("weather_stations", "weather.tsv", columns, "MaxTempTomorrow", "regression", left_out, sep="\t")


def student_grades() -> MessyTable:
    """Swiss students' records from a French Excel (Latin-1, semicolons): accented school names, grade with blanks mid-file."""
    rng = np.random.default_rng(395)
    n = 395
    schools = [
        "Lycée Denis-de-Rougemont",
        "Gymnase de Bienne",
        "Kantonsschule Zürich Nord",
        "Gymnasium Münchenstein",
        "Collège Calvin",
        "École Moser",
    ]
    school = _pick(rng, schools, n, [0.25, 0.2, 0.2, 0.15, 0.12, 0.08])
    school_effect = np.array([0.5, 0.0, 0.8, 0.3, -0.4, -0.8])
    age = rng.choice([15, 16, 17, 18, 19, 20, 21], n, p=[0.2, 0.27, 0.25, 0.2, 0.06, 0.015, 0.005])
    parent_edu = rng.choice([0, 1, 2, 3, 4], n, p=[0.02, 0.15, 0.27, 0.25, 0.31])
    commute = rng.choice([5, 10, 15, 20, 30, 45, 60], n)
    study = rng.gamma(2.5, 2.2, n).round(1)
    failures = rng.choice([0, 1, 2, 3], n, p=[0.78, 0.12, 0.06, 0.04])
    absences = rng.poisson(3 + 3 * failures, n)
    ability = rng.normal(0, 2.6, n) + 0.3 * parent_edu + school_effect[school] - 0.8 * failures
    term1 = (11.5 + ability + rng.normal(0, 0.6, n)).clip(1, 20)
    term2 = (11.5 + ability + 0.15 * study + rng.normal(0, 0.6, n)).clip(1, 20)
    final = 11.5 + ability + 0.2 * study - 0.08 * absences + rng.normal(0, 0.4, n)
    grade = np.digitize(final, [8, 11, 14, 17])  # F D C B A
    internet = rng.random(n) < 0.83
    activities = rng.random(n) < 0.5
    remarks = _sentences(
        rng,
        n,
        [
            "Élève sérieux",
            "Travail régulier",
            "Des efforts à poursuivre",
            "Très bon trimestre",
            "Résultats en baisse",
            "Participation active",
            "Manque de concentration",
            "Progrès réguliers",
        ],
        [", doit réviser ", ", bons résultats en ", ", des lacunes en ", ", très à l'aise en ", ", en difficulté en "],
        ["mathématiques", "français", "allemand", "physique", "histoire", "biologie", "anglais"],
        [".", " ; à encourager.", " ; absences à surveiller.", " ; félicitations du conseil.", " ; continuer ainsi."],
    )
    dropped_out = rng.random(n) < 0.05  # students who left before the final grade
    columns = {
        "student_no": [f"E{k}" for k in rng.choice(np.arange(20000, 29999), n, replace=False).tolist()],
        "school": _labels(schools, school),
        "sex": _flags(rng.random(n) < 0.53, "F", "M"),
        "age": _fmt(age, "d"),
        "parent_education": _fmt(parent_edu, "d"),
        "commute_min": _fmt(commute, "d"),
        "study_hours_week": _fmt(study, ".1f"),
        "failures": _fmt(failures, "d"),
        "absences": _fmt(absences, "d"),
        "internet": _flags(internet, "yes", "no"),
        "term1_score": _fmt(term1, ".1f"),
        "term2_score": _fmt(term2, ".1f"),
        "grade": _blank(_labels(["F", "D", "C", "B", "A"], grade), dropped_out),
        "activities": _flags(activities, "yes", "no"),
        "enrolled_on": _day_first(np.datetime64("2021-08-16") + rng.integers(0, 40, n)),
        "remarks": remarks,
    }
    left_out = {"student_no": "id", "enrolled_on": "date", "remarks": "text"}
    return _table(
        "student_grades", "eleves_notes.csv", columns, "grade", "classification", left_out, sep=";", encoding="latin-1"
    )


def machine_sensors() -> MessyTable:
    """Condition-monitoring log from 24 machines, tab-separated: ten fault types, the last usable column before the notes."""
    rng = np.random.default_rng(10)
    n = 1000
    sensors = [
        "vibration_rms",
        "bearing_temp_c",
        "pressure_bar",
        "rpm",
        "current_a",
        "acoustic_db",
        "oil_particles_ppm",
    ]
    # the readings each fault moves, in standard deviations: a technician's rules of thumb
    moves = {
        "none": {},
        "bearing wear": {"vibration_rms": 2.5, "acoustic_db": 2.0, "oil_particles_ppm": 2.0},
        "misalignment": {"vibration_rms": 2.5, "bearing_temp_c": 1.0, "current_a": 1.5},
        "imbalance": {"vibration_rms": 3.0, "rpm": -1.5},
        "looseness": {"vibration_rms": 1.5, "acoustic_db": 3.0},
        "lubrication": {"bearing_temp_c": 2.5, "oil_particles_ppm": 3.0},
        "overheating": {"bearing_temp_c": 3.5, "current_a": 2.0},
        "electrical": {"current_a": 3.0, "rpm": -2.0},
        "cavitation": {"pressure_bar": -3.0, "acoustic_db": 1.5},
        "belt slip": {"rpm": -3.0, "current_a": -2.0},
    }
    faults = list(moves)
    signature = np.array([[shifts.get(s, 0.0) for s in sensors] for shifts in moves.values()])
    fault = rng.choice(len(faults), n, p=[0.28] + [0.08] * 9)
    machine = rng.integers(0, 24, n)
    machine_offset = rng.normal(0, 0.4, (24, len(sensors)))
    z = signature[fault] + machine_offset[machine] + rng.normal(0, 1, (n, len(sensors)))
    scale = [(2.1, 0.6), (61, 6), (4.2, 0.5), (1480, 40), (18.5, 2.2), (72, 4), (35, 9)]
    readings = {name: mean + sd * z[:, j] for j, (name, (mean, sd)) in enumerate(zip(sensors, scale, strict=True))}
    notes = _sentences(
        rng,
        n,
        ["Checked at shift change", "Routine round", "Alarm acknowledged", "Inspected after restart", "Walk-by check"],
        [" at 06:", " at 09:", " at 11:", " at 14:", " at 18:", " at 22:"],
        ["05", "15", "20", "30", "40", "50"],
        [
            ", slight noise from ",
            ", warm to touch at ",
            ", no visible leak at ",
            ", belt tension checked at ",
            ", grease added at ",
        ],
        ["drive end", "non-drive end", "pump housing", "coupling", "motor terminal box", "gearbox"],
        [".", ", will recheck tomorrow.", ", logged for maintenance.", ", within limits.", ", told supervisor."],
    )
    columns = {
        "timestamp": _timestamps(rng, n, "2024-02-01", 29, ordered=True),
        "machine": [f"M{m + 1:02d}" for m in machine.tolist()],
        "vibration_rms": _fmt(readings["vibration_rms"].clip(0.05), ".3f"),
        "bearing_temp_c": _fmt(readings["bearing_temp_c"], ".1f"),
        "pressure_bar": _fmt(readings["pressure_bar"], ".2f"),
        "rpm": _fmt(readings["rpm"].round().astype(int), "d"),
        "current_a": _fmt(readings["current_a"], ".2f"),
        "acoustic_db": _fmt(readings["acoustic_db"], ".1f"),
        "oil_particles_ppm": _fmt(readings["oil_particles_ppm"].clip(0).round().astype(int), "d"),
        "fault_type": _labels(faults, fault),
        "operator_note": notes,
    }
    left_out = {"timestamp": "date", "operator_note": "text"}
    return _table("machine_sensors", "sensor_log.tsv", columns, "fault_type", "classification", left_out, sep="\t")


def leaf_species() -> MessyTable:
    """Leaf shape measurements of 100 plant species (as in the Kaggle leaf data): species second, 12 per species."""
    rng = np.random.default_rng(1584)
    genera = "Acer Quercus Betula Fagus Populus Salix Tilia Ulmus Alnus Sorbus".split()
    epithets = "Rubrum Alba Nigra Palmatum Glabra Cordata Tremula Pendula Incana Aria".split()
    species = [f"{g}_{e}" for g in genera for e in epithets]
    per, n_features = 12, 12
    n = per * len(species)
    centres = rng.normal(0, 1, (len(species), n_features))
    label = rng.permutation(np.repeat(np.arange(len(species)), per))
    z = centres[label] + rng.normal(0, 0.3, (n, n_features))
    columns = {
        "id": _fmt(rng.choice(np.arange(1, 1600), n, replace=False), "d"),
        "species": _labels(species, label),
    }
    for j, group in enumerate(["margin", "shape", "texture"]):
        for k in range(4):
            # the measurements are small shares, as in the original file
            columns[f"{group}{k + 1}"] = _fmt((0.02 + 0.008 * z[:, 4 * j + k]).clip(0), ".6f")
    return _table("leaf_species", "leaf.csv", columns, "species", "classification", {"id": "id"})


TABLES = [
    titanic_like,
    loan_applications,
    telco_churn,
    house_prices,
    wine_lab,
    hospital_visits,
    product_reviews,
    employee_attrition,
    used_cars,
    weather_stations,
    student_grades,
    machine_sensors,
    leaf_species,
]
