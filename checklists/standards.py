"""The OWASP reference data shipped in fixtures/standards/, read into rows."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from checklists.models.catalog import OwaspStandard

STANDARDS_DIR = Path(settings.BASE_DIR) / "fixtures" / "standards"
ASVS_URL = "https://github.com/OWASP/ASVS/tree/v4.0.3/4.0"
ASVS_ATTRIBUTION = (
    "OWASP Application Security Verification Standard 4.0.3, "
    "© OWASP Foundation, licensed under CC BY-SA 4.0."
)


@dataclass(frozen=True)
class StandardSource:
    standard: str
    slug: str
    title: str
    version: str
    url: str
    attribution: str


@dataclass(frozen=True)
class Reference:
    standard: str
    code: str
    title: str
    section: str = ""
    asvs_level: int | None = None
    cwe: str = ""
    url: str = ""


_MARKDOWN_LINK = re.compile(r"\s*\(\[(C\d+(?:, C\d+)*)\]\([^)]*\)\)")


def _plain_text(description: str) -> str:
    """ASVS descriptions end with a Markdown link to an OWASP Proactive Control: keep its name."""
    return _MARKDOWN_LINK.sub(r" (Proactive Controls \1)", description).strip()


def _top10_url(code: str, title: str) -> str:
    number = code.split(":")[0]
    slug = title.replace(" ", "_").replace("(", "%28").replace(")", "%29")
    return f"https://owasp.org/Top10/{number}_2021-{slug}/"


def _api_top10_url(code: str, title: str) -> str:
    number = int(re.match(r"API(\d+)", code).group(1))
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"https://owasp.org/API-Security/editions/2023/en/0xa{'123456789a'[number - 1]}-{slug}/"


def read_standards(directory: Path = STANDARDS_DIR) -> tuple[list[StandardSource], list[Reference]]:
    asvs = json.loads((directory / "owasp-asvs-4.0.3-en.flat.json").read_text())
    top10 = json.loads((directory / "owasp-top10-2021.json").read_text())
    api = json.loads((directory / "owasp-api-top10-2023.json").read_text())
    sources = [
        StandardSource(
            OwaspStandard.ASVS,
            "owasp-asvs-4.0.3",
            "OWASP Application Security Verification Standard",
            "4.0.3",
            ASVS_URL,
            ASVS_ATTRIBUTION,
        ),
        StandardSource(
            OwaspStandard.TOP10,
            "owasp-top10-2021",
            top10["standard"],
            top10["version"],
            top10["url"],
            "OWASP Top 10 project, © OWASP Foundation.",
        ),
        StandardSource(
            OwaspStandard.API_TOP10,
            "owasp-api-top10-2023",
            api["standard"],
            api["version"],
            api["url"],
            "OWASP API Security project, © OWASP Foundation.",
        ),
    ]
    references = [
        Reference(
            standard=OwaspStandard.ASVS,
            code=row["req_id"],
            title=_plain_text(row["req_description"]),
            section=(
                f"{row['chapter_id']} {row['chapter_name']} › "
                f"{row['section_id']} {row['section_name']}"
            ),
            asvs_level=next((level for level in (1, 2, 3) if row[f"level{level}"].strip()), None),
            cwe=row["cwe"],
            url=ASVS_URL,
        )
        for row in asvs["requirements"]
    ]
    references += [
        Reference(
            OwaspStandard.TOP10,
            item["id"],
            item["title"],
            url=_top10_url(item["id"], item["title"]),
        )
        for item in top10["items"]
    ]
    references += [
        Reference(
            OwaspStandard.API_TOP10,
            item["id"],
            item["title"],
            url=_api_top10_url(item["id"], item["title"]),
        )
        for item in api["items"]
    ]
    return sources, references
