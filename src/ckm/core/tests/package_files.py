"""Write small customer data packages for tests."""

from __future__ import annotations

from pathlib import Path

CUSTOMERS = (
    "customer_id,kind,first_name,last_name,name,email,phone,city,country,date_of_birth,household_id,team,office,income\n"
    "C1,person,Anna,Schmidt,,anna@example.com,+49 171 1234567,Berlin,DE,1980-05-01,H1,North,BER,52000.5\n"
    "C2,person,Jürgen,Müller,,jm@example.com,0171 999 88,München,DE,1975-12-24,H1,North,MUC,\n"
    "C3,organisation,,,ACME GmbH,info@acme.example,,Hamburg,DE,,,South,HAM,1000000\n"
)
PRODUCTS = (
    "product_id,name,family,margin,fee\n"
    "CUR,Current account,current_account,0.01,60\n"
    "SAV,Savings,savings,0.012,\n"
)
HOLDINGS = (
    "customer_id,product_id,opened,closed,status,balance\n"
    "C1,CUR,2020-01-01,,,1200.50\n"
    "C1,SAV,2021-01-01,,,30000\n"
    "C2,CUR,2019-03-01,,,500\n"
)
INTERACTIONS = (
    "customer_id,occurred_at,channel,direction,office,subject,text,outcome\n"
    'C1,2026-10-01 10:00,phone,inbound,CC1,Card blocked,"My card was blocked, why?",resolved\n'
    "C1,2026-10-05T12:00:00,email,inbound,CC1,Fees,Why was I charged a fee?,\n"
    "C2,2026-09-01,branch,inbound,MUC,Savings,Wants a savings plan,sale\n"
)
MANIFEST = "name: test bank\nas_of: 2026-10-31\ncolumns:\n  customers:\n    income: float\n"


def write_package(folder: Path, **files: str | bytes) -> Path:
    """Write a package; keyword names are file stems (customers=..., manifest=...)."""
    folder.mkdir(parents=True, exist_ok=True)
    defaults: dict[str, str | bytes] = {
        "manifest": MANIFEST,
        "customers": CUSTOMERS,
        "products": PRODUCTS,
        "holdings": HOLDINGS,
        "interactions": INTERACTIONS,
    }
    defaults.update(files)
    for stem, content in defaults.items():
        if content is None:
            continue
        name = "manifest.yaml" if stem == "manifest" else f"{stem}.csv"
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder
