"""Workbooks shaped like the ones communities keep: a merged title row, a 填报单位 row,
Chinese headers in their own order and spellings, and untidy cells."""

import datetime
import io

import openpyxl

from members.validators import make_id_number

HEADER = [
    h.replace("_", " ")  # "姓 名": a header spaced out for alignment
    for h in (
        "序号 姓_名 性别 出生年月 公民身份号码 手机号码 原单位 类别 "
        "入党时间 转正时间 健康状况 所在支部 党小组 备注"
    ).split()
]


def person(n, *, name=None, born=None, male=True, **cells):
    """One row as a dict of header -> value, with a valid ID number."""
    born = born or datetime.date(1950, 3, 5) + datetime.timedelta(days=37 * n)
    row = {
        "序号": n,
        "姓 名": name or f"导入{n:03d}号",
        "性别": "男" if male else "女",
        "出生年月": born.strftime("%Y.%m"),
        "公民身份号码": make_id_number("319901", born, n, male=male),
        "手机号码": f"139{n:08d}",
        "原单位": "东城区教育局",
        "类别": "退休",
        "入党时间": f"{born.year + 22}年7月",
        "转正时间": f"{born.year + 23}-07-01",
        "健康状况": "健康",
        "所在支部": "",
        "党小组": "",
        "备注": "",
    }
    row.update(cells)
    return row


def workbook(rows, *, header=HEADER, title=True, blank_rows_after=0, footer=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    if title:
        sheet.append(["翠园社区离退休干部党员花名册"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(["填报单位：翠园社区党委", None, None, None, "填报日期：2025年5月"])
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])
    for _ in range(blank_rows_after):
        sheet.append([])
    if footer:
        sheet.append([footer])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def first_data_row(title=True) -> int:
    """The Excel row number of the first member (title + 填报单位 + header above)."""
    return 4 if title else 2
