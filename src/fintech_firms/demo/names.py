"""Names and codes of the demo data: firm names, USCCs, application numbers, people, universities,
outside companies, investors and track names.

Firm names are [city prefix] + a 4-character core + an industry suffix ("深圳市博恒朗信智能科技有限公司",
"宏维锦帆（杭州）数据科技有限公司"). Cores are unique per firm and pairwise differ in at least two
positions: the 4th character is fixed by the first three (their index sum modulo the pool size), so
every name (and former name, which keeps its firm's core) is unique after normalisation at any scale.
Core characters never occur in the city prefixes or the suffixes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ..reference.tables import aliases_of
from ..rules.names import normalize_name
from .plan import TECHS

# --- firm names ---------------------------------------------------------------------------------

SUFFIXES: dict[str, tuple[str, ...]] = {
    "big_data": ("数据科技有限公司", "大数据科技有限公司", "数据服务有限公司", "数据技术有限公司",
                 "信息技术有限公司", "数据科技股份有限公司"),
    "blockchain": ("区块链科技有限公司", "区块链技术有限公司", "数字科技有限公司", "信息科技有限公司",
                   "数字技术股份有限公司"),
    "ai": ("智能科技有限公司", "人工智能科技有限公司", "智能技术有限公司", "智能科技股份有限公司",
           "智能信息技术有限公司"),
    "cloud": ("云计算科技有限公司", "云计算技术有限公司", "软件技术有限公司", "信息技术股份有限公司",
              "云科技有限公司", "软件有限公司"),
    "iot": ("物联网科技有限公司", "物联科技有限公司", "智能设备有限公司", "电子科技有限公司",
            "物联网技术股份有限公司"),
    "internet": ("网络科技有限公司", "金融信息服务有限公司", "互联网科技有限公司", "金融科技有限公司",
                 "网络技术有限公司", "科技有限公司", "支付科技有限公司"),
}
# Renamed firms: the former name keeps the core and the city prefix, with one of these suffixes.
FORMER_SUFFIXES = ("投资咨询有限公司", "网络技术服务有限公司", "计算机系统有限公司", "电子商务有限公司",
                   "信息咨询有限公司", "贸易有限公司", "软件开发有限公司", "系统集成有限公司")
_CORE_SOURCE = (
    "安邦宝北贝本碧博才灿昌畅超辰晨诚承驰崇楚创淳慈聪翠达大丹道德迪鼎东冬栋端敦朵恩帆梵方芳飞菲丰峰锋枫凤"
    "孚福甫富赋刚高歌格庚耕功恭冠光广贵桂国果涵翰航豪好浩禾合和河贺恒弘宏鸿洪厚虎华桦欢焕辉慧惠嘉佳家甲"
    "坚鉴江匠骄杰洁捷金锦瑾进晋京景敬静炬聚钧俊峻骏凯楷康珂可克坤昆阔兰岚朗乐雷磊黎立丽力励利莲良亮林霖"
    "麟凌领隆龙路禄伦洛迈满茂梅美蒙盟米敏名明铭墨木沐穆纳楠宁诺鹏朋品平萍璞朴溥启琦奇麒千谦乾强乔桥勤青"
    "清晴庆秋泉群然仁荣融睿瑞润若森善尚绍深升圣盛胜诗石实世仕舒蜀树顺朔思松颂素泰坦棠腾天田铁庭通同彤拓"
    "万旺威巍为维伟卫蔚文闻稳沃吴五武舞西希曦熙禧夏先贤显祥翔向象骁晓孝欣新鑫星兴雄修秀旭轩宣璇雪勋迅亚"
    "雅言岩研彦燕扬阳洋耀业一伊依宜义艺亦益逸意毅翼银寅英盈颖映永咏优友有佑宇羽雨语玉育煜誉元源远苑月悦"
    "跃越云允蕴泽增展湛章昭哲臻振正政之芝知直志至致中忠众洲竹卓资子紫宗尊佐琨瑜璟琪瑶琳瑛珏珑翊昱晟炜烨"
    "炫灏澜溢漫潇滨涛淼沛泓济浦"
)
# Cities firms may be in that the default regions table does not list (region 其他), with province
# and area code; only firms outside the plan are placed there.
UNLISTED_CITIES = (("惠州", "广东省", 441300), ("三亚", "海南省", 460200), ("保定", "河北省", 130600),
                   ("芜湖", "安徽省", 340200), ("绵阳", "四川省", 510700))
# Administrative division codes (the USCC's 3rd-8th characters) of the default table's cities.
AREA_CODES = {
    "北京": 110000, "天津": 120000, "石家庄": 130100, "唐山": 130200, "上海": 310000, "南京": 320100,
    "苏州": 320500, "无锡": 320200, "常州": 320400, "南通": 320600, "泰州": 321200, "杭州": 330100,
    "宁波": 330200, "温州": 330300, "嘉兴": 330400, "绍兴": 330600, "金华": 330700, "台州": 331000,
    "合肥": 340100, "深圳": 440300, "广州": 440100, "东莞": 441900, "佛山": 440600, "成都": 510100,
    "重庆": 500000, "武汉": 420100, "襄阳": 420600, "宜昌": 420500, "长沙": 430100, "南昌": 360100,
    "福州": 350100, "厦门": 350200, "泉州": 350500, "漳州": 350600, "济南": 370100, "青岛": 370200,
    "烟台": 370600, "潍坊": 370700, "淄博": 370300, "沈阳": 210100, "大连": 210200, "长春": 220100,
    "哈尔滨": 230100, "郑州": 410100, "洛阳": 410300, "徐州": 320300, "临沂": 371300, "南宁": 450100,
    "海口": 460100, "西安": 610100, "兰州": 620100, "西宁": 630100, "银川": 640100, "乌鲁木齐": 650100,
    "昆明": 530100, "贵阳": 520100, "拉萨": 540100, "太原": 140100, "呼和浩特": 150100,
}
# A district after the city, as some exports write it (深圳市南山区 is 深圳).
DISTRICTS = {"北京": "海淀区", "上海": "浦东新区", "深圳": "南山区", "杭州": "西湖区", "广州": "天河区",
             "成都": "高新区", "武汉": "洪山区", "南京": "鼓楼区", "西安": "雁塔区"}


def _excluded_chars() -> set[str]:
    text = "".join(s for group in SUFFIXES.values() for s in group) + "".join(FORMER_SUFFIXES)
    text += "".join(AREA_CODES) + "".join(c for c, _, _ in UNLISTED_CITIES) + "市省区县（）()"
    return set(text)


CORE_POOL = "".join(dict.fromkeys(c for c in _CORE_SOURCE if c not in _excluded_chars()))
# Characters a typo puts in place of a core character: in no firm name, so a typo is never closer to
# another firm's name than the right name is to it.
TYPO_CHARS = "".join(dict.fromkeys(
    c for c in "栢莹滢浚竣骞赟昶旻晔暄曜琰瑄璠珩琮璋瑀玮珺琛璐瑗婧嫣妍姝婕媛煦焱烁熠燊晗暻曈"
    if c not in CORE_POOL and c not in _excluded_chars()))


def unique_cores(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 4-character cores of 4 distinct pool characters, pairwise differing in >= 2 places."""
    p = len(CORE_POOL)
    if n > p ** 3 // 4:
        raise ValueError(f"{n} firms: too many for the {p}-character core pool")
    picked = np.empty(0, dtype=np.int64)
    while picked.size < n:
        draw = rng.integers(0, p ** 3, size=int((n - picked.size) * 1.3) + 64, dtype=np.int64)
        a, b, c = draw // (p * p), draw // p % p, draw % p
        d = (a + b + c) % p
        ok = (a != b) & (a != c) & (a != d) & (b != c) & (b != d) & (c != d)
        merged = np.concatenate([picked, draw[ok]])
        _, first = np.unique(merged, return_index=True)
        picked = merged[np.sort(first)]
    picked = picked[:n]
    pool = np.array(list(CORE_POOL))
    a, b, c = picked // (p * p), picked // p % p, picked % p
    chars = np.stack([pool[a], pool[b], pool[c], pool[(a + b + c) % p]], axis=1)
    return np.ascontiguousarray(chars).view("<U4").ravel()


def normalized(names: pl.Expr) -> pl.Expr:
    """normalize_name for the names this module writes (CJK, full- or half-width parentheses and
    ASCII or ideographic spaces only): the spaces removed, （） as ()."""
    return (names.str.replace_all(r"[ \u3000]", "").str.replace_all("（", "(", literal=True)
            .str.replace_all("）", ")", literal=True))


# --- USCC (GB 32100-2015) -----------------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), dtype=np.int64)


def _digits(values: np.ndarray, base: int, width: int) -> np.ndarray:
    """(n, width) digits of non-negative integers in `base`, most significant first."""
    powers = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return values[:, None] // powers[None, :] % base


def _distinct_ints(rng: np.random.Generator, high: int, n: int) -> np.ndarray:
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        merged = np.concatenate([out, rng.integers(0, high, size=n - out.size + 16, dtype=np.int64)])
        _, first = np.unique(merged, return_index=True)
        out = merged[np.sort(first)]
    return out[:n]


def usccs(rng: np.random.Generator, area_codes: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """One distinct 18-character USCC per firm ('91' + area code + organisation code + check), with
    a wrong check character where `invalid` is true."""
    n = area_codes.size
    values = np.zeros((n, 18), dtype=np.int64)
    values[:, 0], values[:, 1] = 9, 1
    values[:, 2:8] = _digits(area_codes.astype(np.int64), 10, 6)
    # Organisation codes: "MA" + 7 code-set characters (newer firms) or 9 digits; distinct by drawing
    # distinct integers within each kind.
    newer = rng.random(n) < 0.6
    k = int(newer.sum())
    ma = _distinct_ints(rng, 31 ** 7, k)
    old = _distinct_ints(rng, 10 ** 9, n - k)
    org = np.zeros((n, 9), dtype=np.int64)
    org[newer, 0], org[newer, 1] = USCC_CHARSET.index("M"), USCC_CHARSET.index("A")
    org[newer, 2:] = _digits(ma, 31, 7)
    org[~newer] = _digits(old, 10, 9)
    values[:, 8:17] = org
    r = (values[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31
    check = (31 - r) % 31
    bump = rng.integers(1, 31, size=n)
    values[:, 17] = np.where(invalid, (check + bump) % 31, check)
    chars = np.array(list(USCC_CHARSET))[values]
    return np.ascontiguousarray(chars).view("<U18").ravel()


# --- application numbers -------------------------------------------------------------------------

_APP_WEIGHTS = {12: np.array((2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), dtype=np.int64),
                8: np.array((2, 3, 4, 5, 6, 7, 8, 9), dtype=np.int64)}


def app_no_checks(numbers: np.ndarray, width: int) -> np.ndarray:
    """Check characters ('0'-'9' or 'X') of 12- or 8-digit application numbers given as integers."""
    r = (_digits(numbers.astype(np.int64), 10, width) * _APP_WEIGHTS[width]).sum(axis=1) % 11
    return np.array(list("0123456789X"))[r]


# --- other applicants, investors, tracks ---------------------------------------------------------

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范石廖贾夏韦付方白邹孟熊秦邱尹薛闫段雷侯史陶黎贺顾毛郝龚邵万钱严覃戴莫孔向汤")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲飞鹏辉建波宇浩凯俊帅雪琳晨曦欣怡涵轩然鸣博佑婷倩"
UNIVERSITIES = (
    "清华大学", "北京大学", "浙江大学", "复旦大学", "上海交通大学", "深圳大学", "南京大学", "武汉大学",
    "中山大学", "华中科技大学", "电子科技大学", "西安交通大学", "哈尔滨工业大学", "北京理工大学",
    "南京理工大学", "大连理工大学", "华南理工大学", "武汉理工大学", "北京邮电大学", "东南大学", "同济大学",
    "中国科学技术大学", "四川大学", "山东大学", "厦门大学", "重庆大学", "湖南大学", "天津大学", "中南大学",
    "西北工业大学", "杭州电子科技大学", "中国科学院自动化研究所", "中国科学院计算技术研究所",
)
OUTSIDE_COMPANIES = (
    "国家电网有限公司", "中国移动通信集团有限公司", "中国联合网络通信集团有限公司", "中国电信股份有限公司",
    "中国工商银行股份有限公司", "中国建设银行股份有限公司", "中国银联股份有限公司",
    "国网信息通信产业集团有限公司", "中国石油化工股份有限公司", "京东方科技集团股份有限公司",
    "中兴通讯股份有限公司", "南方电网科学研究院有限责任公司", "中国平安保险（集团）股份有限公司",
    "招商银行股份有限公司", "中国农业银行股份有限公司",
)
# Lead investors that are not top-tier: none equals or comes near (rapidfuzz ratio >= 85) a name
# or alias of top_vc.csv; financing.non_top_investors() checks it on every run.
OTHER_INVESTORS = (
    "星河资本", "远望投资", "青松基金", "北辰创投", "海岸资本合伙企业", "磐石投资", "云帆创投", "启迪之星",
    "鼎坤资本", "江南天使基金", "梧桐树资本", "九合创投", "英诺天使基金", "盈动资本", "险峰长青",
    "德同资本", "朗玛峰创投", "华映资本", "松禾资本", "澳银资本", "前海母基金", "粤科金融集团",
    "浙商创投", "苏州国发创投", "合肥产投", "武汉光谷创投", "成都天府投资", "西安高新金控",
    "济南科技金融集团", "福建海峡创投", "湖南高新创投", "天津海河产业基金", "Blue Lake Capital",
    "Harbor Bridge Partners", "Summit Crest Ventures", "Orchid Valley Capital",
)
# Written tracks the taxonomy does not know.
UNKNOWN_TRACKS = ("元宇宙", "新能源汽车", "生物医药", "量子通信", "跨境电商")
# Names of firms outside the firms file that appear in financing (unlinked): other trades.
UNKNOWN_FIRM_SUFFIXES = ("商贸有限公司", "文化传媒有限公司", "餐饮管理有限公司", "物流有限公司", "置业有限公司")
_UNKNOWN_FIRM_CHARS = "甸茸菁萱蕾芙蓉茗茵荔椿楸桐榕槐柚橘柑栗榆杉芷苓薇蔷莺鹂鹊雁鸥鹭鹤"


def people(rng: np.random.Generator, n: int) -> np.ndarray:
    """n person names of 2 or 3 characters (repeats allowed, as in real data)."""
    surname = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n)]
    given = np.array(list(GIVEN))
    first = given[rng.integers(0, len(GIVEN), n)]
    second = np.where(rng.random(n) < 0.6, given[rng.integers(0, len(GIVEN), n)], "")
    return np.char.add(np.char.add(surname, first), second).astype(object)


def unknown_firm_names(rng: np.random.Generator, n: int) -> list[str]:
    """Distinct names of firms that are in no table (financing rows that stay unlinked)."""
    chars = np.array(list(_UNKNOWN_FIRM_CHARS))
    out: dict[str, None] = {}
    while len(out) < n:
        core = "".join(chars[rng.integers(0, chars.size, 3)])
        out.setdefault(core + UNKNOWN_FIRM_SUFFIXES[int(rng.integers(0, len(UNKNOWN_FIRM_SUFFIXES)))], None)
    return list(out)


def track_choices(tracks: pl.DataFrame) -> dict[str, list[tuple[str, list[str]]]]:
    """Per tech class, its tracks with the aliases that the taxonomy maps back to that track (an alias
    another track also claims, or that is another track's name, is left out)."""
    first_claim: dict[str, str] = {}
    names = {normalize_name(t) for t in tracks["track"]}
    for row in tracks.iter_rows(named=True):
        for alias in aliases_of(row["aliases"]):
            first_claim.setdefault(normalize_name(alias), row["track"])
    out: dict[str, list[tuple[str, list[str]]]] = {t: [] for t in TECHS}
    for row in tracks.iter_rows(named=True):
        aliases = aliases_of(row["aliases"])
        usable = [a for a in aliases if first_claim[normalize_name(a)] == row["track"]
                  and normalize_name(a) not in names and "," not in a]
        out[row["tech_class"]].append((row["track"], usable))
    return out
