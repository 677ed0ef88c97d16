"""Write the workbooks of the `xlsx` golden case (tests/golden/xlsx/raw/*.xlsx).

Run once by hand (`/work/venv/bin/python tests/golden/make_xlsx.py`); the outputs are committed and
the golden test reads the committed files, so the test never depends on this script. Cells are typed
the way Excel exports type them: dates as date cells (one with a midnight time), counts as number
cells, USCCs and most application numbers as text, and one application number as a number without
its check digit. Re-running writes the same cells (openpyxl stamps the save time
into the file, so the bytes change; the cells do not).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

RAW = Path(__file__).resolve().parent / "xlsx" / "raw"

FIRMS = (
    ("firm_id", "name", "uscc", "former_names", "province", "city", "tracks", "rd_staff", "founded"),
    ("GZ01", "广州羊城支付科技有限公司", "91440101MA59ABCD1D", "广州羊城网络科技有限公司", "广东省", "广州",
     "移动支付|互联网金融", 210, dt.date(2015, 3, 1)),
    ("NJ01", "南京紫金区块链科技有限公司", "91320100MA1MXY123Y", None, "江苏省", "南京市", "区块链", 55.0,
     dt.date(2017, 8, 15)),
    ("XM01", "厦门鹭岛智能科技有限公司", None, None, "福建省", "厦门", "计算机视觉", 33, None),
    ("GZ02", "广州羊城支付科技有限公司", "91440101MA59ABCD1D", "羊城支付有限公司", "广东省", "广州市",
     "移动支付;智能风控", 250, None),
    ("XM02", "厦门鹭岛智能科技有限公司", None, None, "福建省", "厦门市", None, 40, None),
    ("XA01", "西安古城数据科技有限公司", "91610131MA6TG1234B", None, "陕西省", "西安", "大数据;数据安全", 1000,
     dt.date(2013, 11, 30)),
    ("SZ01", "苏州金鸡湖金融信息服务有限公司", None, None, "江苏省", "苏州", "金融信息服务", None, None),
    ("QD01", "青岛海湾物联科技有限公司", "91370212MA3CF5678A", None, "山东省", "青岛", "智能硬件", 12, None),
    ("CQ01", "重庆山城金融科技有限公司", "91500000MA5U12345P", None, "重庆市", "重庆", "智慧金融", 20, None),
    ("CQ02", "重庆山城金融科技有限公司", "91500112MA60AB987W", None, "重庆市", "重庆市", "保险科技", 25, None),
    ("CQ03", "重庆山城金融科技有限公司", None, None, "重庆市", "重庆", None, 5, None),
)

PATENTS = (
    ("app_no", "applicants", "patent_type", "app_date"),
    ("CN202010123456.2", "广州羊城支付科技有限公司;南京紫金区块链科技有限公司", "发明", dt.date(2020, 5, 6)),
    (202010123456, "羊城支付有限公司|西安古城数据科技有限公司", "发明", dt.date(2020, 5, 6)),
    ("201920765432", "厦门鹭岛智能科技有限公司", "实用新型", dt.date(2019, 8, 1)),
    ("202110555666.3", "重庆山城金融科技有限公司", "发明", dt.date(2021, 3, 3)),
    ("202120777888.5", "青岛海湾物联科技有限公", "实用新型", dt.date(2021, 6, 6)),
    ("202110999000.1", "西安古城数据科技有限公司", "发明", dt.date(2021, 4, 4)),
    ("CN2021-10345678", "西安古城数据科技有限公司", "发明", dt.date(2021, 4, 5)),
    ("202130111222.1", "苏州金鸡湖金融信息服务有限公司", "invention", dt.date(2021, 9, 9)),
    ("97104567.4", "清华大学;西安古城数据科技有限公司", "发明", None),
    ("201810246810.3", "广州羊城网络科技有限公司、李四", "发明", dt.date(2018, 1, 2)),
)

FINANCING = (
    ("firm_name", "uscc", "date", "round", "amount", "lead_investors", "investors"),
    ("广州羊城支付科技有限公司", None, dt.date(2019, 6, 10), "C轮", "2亿元", "红杉资本中国基金",
     "红杉资本中国基金;IDG资本"),
    ("广州羊城支付科技有限公司", None, dt.datetime(2019, 6, 10, 0, 0), "Series C", None, "IDG资本", None),
    ("南京紫金区块链科技有限公司", "91320100MA1MXY123Y", dt.date(2021, 2, 3), "A+轮", "数千万人民币",
     "某天使投资人", None),
    ("西安古城数据科技有限公司", None, dt.date(2022, 9, 9), "Pre-IPO", None, "深创投集团", None),
    ("厦门鹭岛智能科技有限公司", None, dt.date(2020, 1, 20), "D轮", None, None, None),
    ("青岛海湾物联科技有限公司", None, dt.date(2020, 2, 2), None, "未披露", None, None),
    (None, None, dt.date(2020, 3, 3), "B轮", None, None, None),
)


def write(name: str, rows) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = name
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    RAW.mkdir(parents=True, exist_ok=True)
    workbook.save(RAW / f"{name}.xlsx")


if __name__ == "__main__":
    write("firms", FIRMS)
    write("patents", PATENTS)
    write("financing", FINANCING)
