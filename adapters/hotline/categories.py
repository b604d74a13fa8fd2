"""The hotline's own category texts (一级/二级分类) and the hub category each maps to.

The adapter ships this table; a text it does not list falls back on its last part matched
against the hub's own category names, and else goes to ``OTHER`` (kept, and counted in the
run's notes so the table can grow).
"""

from __future__ import annotations

CATEGORY_TABLE: dict[str, str] = {
    "城乡建设/违法建设": "ILLEGAL_CONSTRUCTION",
    "城乡建设/私搭乱建": "ILLEGAL_CONSTRUCTION",
    "城乡建设/房屋烂尾": "UNFINISHED_BUILDING",
    "城乡建设/施工扰民": "NOISE",
    "住房/房屋漏雨": "HOUSE_LEAK",
    "住房/物业管理": "PROPERTY_MANAGEMENT",
    "住房/物业服务": "PROPERTY_MANAGEMENT",
    "住房/房产证办理": "PROPERTY_CERTIFICATE",
    "住房/供暖": "HEATING",
    "交通管理/交通拥堵": "TRAFFIC_CONGESTION",
    "交通管理/乱停车": "ILLEGAL_PARKING",
    "交通管理/违章停车": "ILLEGAL_PARKING",
    "交通管理/私装地锁": "PARKING_LOCK",
    "交通管理/道路破损": "ROAD_DAMAGE",
    "市容环卫/垃圾堆放": "GARBAGE",
    "市容环卫/暴露垃圾": "GARBAGE",
    "市容环卫/占道经营": "STREET_VENDOR",
    "市容环卫/无照游商": "STREET_VENDOR",
    "环境保护/噪声扰民": "NOISE",
    "环境保护/夜间施工": "NOISE",
    "市政/下水道堵塞": "SEWER_BLOCKAGE",
    "市政/停水": "WATER_OUTAGE",
    "市政/停电": "POWER_OUTAGE",
    "市政/供暖": "HEATING",
    "市政/道路破损": "ROAD_DAMAGE",
    "园林绿化/树木修剪": "TREE_CARE",
    "公共安全/燃气安全": "GAS_SAFETY",
    "公共安全/消防隐患": "FIRE_HAZARD",
    "市场监管/食品安全": "FOOD_SAFETY",
    "市场监管/预付卡退费": "PREPAID_CARD",
    "其他/其他": "OTHER",
}

SEPARATORS = str.maketrans({"／": "/", "\\": "/", "-": "/", ">": "/"})


def normalise(text: str) -> str:
    return "/".join(part.strip() for part in text.translate(SEPARATORS).split("/") if part.strip())


def map_category(text: str, hub_names: dict[str, str]) -> str | None:
    """The hub category for a hotline text, or None when neither table nor names know it."""
    key = normalise(text)
    if key in CATEGORY_TABLE:
        return CATEGORY_TABLE[key]
    leaf = key.rsplit("/", 1)[-1]
    return hub_names.get(leaf)
