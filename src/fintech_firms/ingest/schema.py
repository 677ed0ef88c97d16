"""The raw files of contract §1: their names, required and optional columns, and header aliases."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Chinese headers that real exports carry (contract §1). `企业名称` is `name` in firms/hightech and
# `firm_name` in financing, so it is resolved per file.
CHINESE_HEADERS: dict[str, str] = {
    "统一社会信用代码": "uscc",
    "曾用名": "former_names",
    "省份": "province",
    "城市": "city",
    "所属赛道": "tracks",
    "赛道": "tracks",
    "研发人员数量": "rd_staff",
    "是否有专利转让许可": "has_patent_transfer",
    "成立日期": "founded",
    "申请号": "app_no",
    "专利类型": "patent_type",
    "申请日": "app_date",
    "申请人": "applicants",
    "IPC主分类号": "ipc",
    "授权日": "grant_date",
    "法律状态": "legal_status",
    "融资日期": "date",
    "轮次": "round",
    "金额": "amount",
    "领投方": "lead_investors",
    "投资方": "investors",
    "证书编号": "cert_no",
    "发证日期": "issue_date",
}


@dataclass(frozen=True)
class FileSpec:
    """One raw input file: its stem, the columns it may carry, and which must be there."""

    stem: str
    columns: tuple[str, ...]
    # Each inner tuple is one requirement satisfied by any of its columns ("firm_name or uscc").
    required: tuple[tuple[str, ...], ...]
    name_column: str  # what 企业名称 means in this file
    optional_file: bool


FIRMS = FileSpec(
    stem="firms",
    columns=("name", "city", "firm_id", "uscc", "former_names", "province", "tracks", "rd_staff",
             "has_patent_transfer", "founded"),
    required=(("name",), ("city",)),
    name_column="name",
    optional_file=False,
)
PATENTS = FileSpec(
    stem="patents",
    columns=("app_no", "applicants", "patent_type", "app_date", "ipc", "grant_date", "legal_status"),
    required=(("app_no",), ("applicants",)),
    name_column="name",
    optional_file=False,
)
FINANCING = FileSpec(
    stem="financing",
    columns=("firm_name", "uscc", "date", "round", "amount", "lead_investors", "investors"),
    required=(("firm_name", "uscc"), ("date",), ("round",)),
    name_column="firm_name",
    optional_file=True,
)
HIGHTECH = FileSpec(
    stem="hightech",
    columns=("name", "uscc", "issue_date", "cert_no"),
    required=(("name", "uscc"), ("issue_date", "cert_no")),
    name_column="name",
    optional_file=True,
)

INPUT_FILES: tuple[FileSpec, ...] = (FIRMS, PATENTS, FINANCING, HIGHTECH)


def canonical_header(header: str, spec: FileSpec) -> str:
    """Map a header as written (English or Chinese, any case or width) to the contract's column name."""
    cleaned = unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff").strip()
    if cleaned in CHINESE_HEADERS:
        return CHINESE_HEADERS[cleaned]
    english = cleaned.lower().replace(" ", "_")
    # The firm's name is `name` in firms and hightech, `firm_name` in financing; exports mix them up.
    if cleaned == "企业名称" or english in ("name", "firm_name"):
        return spec.name_column
    return english


def describe(alternatives: tuple[str, ...]) -> str:
    """'app_no' (申请号), or 'firm_name' (企业名称) or 'uscc' (统一社会信用代码)."""
    chinese = {v: k for k, v in reversed(CHINESE_HEADERS.items())}
    chinese.update(name="企业名称", firm_name="企业名称")
    return " or ".join(f"'{c}' ({chinese[c]})" if c in chinese else f"'{c}'" for c in alternatives)
