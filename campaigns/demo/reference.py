"""The fixed vocabulary of the demo shop: channels, categories, tiers, places and names.

Numbers here are the shaping knobs of the demo (shares, rates, price levels); the
generators scale them to the requested sizes. Changing one changes every seeded database,
so tests pin behaviours, not these values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelSpec:
    code: str
    name: str
    kind: str
    commission_pct: str  # Decimal text, percent of net revenue
    acquisition_share: float  # share of registrations coming through the channel
    traffic_share: float  # share of browsing sessions (repeat visits) landing through it
    cac: float  # spend per acquired customer, drives the daily ChannelSpend
    buyer_rate: float  # chance that a customer acquired here ever orders
    rate_factor: float  # multiplier on the customer's purchase rate (channel quality)


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("search", "Search", "search", "2.00", 0.20, 0.24, 38.0, 0.80, 1.00),
    ChannelSpec(
        "homepage", "Homepage recommendation", "homepage", "3.00", 0.14, 0.22, 30.0, 0.78, 1.00
    ),
    ChannelSpec("live-stream", "Live stream", "live_stream", "8.00", 0.16, 0.12, 55.0, 0.84, 0.75),
    ChannelSpec("short-video", "Short video", "short_video", "6.00", 0.15, 0.13, 46.0, 0.70, 0.80),
    ChannelSpec(
        "official-account",
        "Official account",
        "official_account",
        "0.00",
        0.09,
        0.10,
        12.0,
        0.76,
        1.25,
    ),
    ChannelSpec(
        "private-group", "Private group", "private_group", "0.00", 0.07, 0.09, 9.0, 0.86, 1.50
    ),
    ChannelSpec("referral", "Referral", "referral", "0.00", 0.08, 0.03, 18.0, 0.82, 1.15),
    ChannelSpec(
        "marketplace", "Marketplace store", "marketplace", "5.00", 0.11, 0.07, 34.0, 0.74, 0.90
    ),
)

# A repeat order comes back through the customer's own acquisition channel this often;
# otherwise through the private-domain and organic channels below (owned traffic grows
# with the relationship, which is the point of private-domain operations).
REPEAT_SAME_CHANNEL = 0.40
REPEAT_CHANNEL_MIX: dict[str, float] = {
    "search": 0.18,
    "homepage": 0.20,
    "live-stream": 0.10,
    "short-video": 0.06,
    "official-account": 0.16,
    "private-group": 0.20,
    "referral": 0.02,
    "marketplace": 0.08,
}


@dataclass(frozen=True)
class TierSpec:
    name: str
    rank: int
    min_spend_12m: int  # yuan
    multiplier: str
    benefits: str


TIERS: tuple[TierSpec, ...] = (
    TierSpec("Regular", 0, 0, "1.00", "1 point per yuan; birthday coupon."),
    TierSpec("Silver", 1, 1500, "1.20", "1.2 points per yuan; free shipping twice a month."),
    TierSpec("Gold", 2, 4500, "1.50", "1.5 points per yuan; free shipping; early access to sales."),
    TierSpec(
        "Diamond",
        3,
        10000,
        "2.00",
        "2 points per yuan; free shipping; VIP group; personal advisor.",
    ),
)


@dataclass(frozen=True)
class RootSpec:
    """A root category and how its goods behave."""

    name: str
    children: tuple[str, ...]
    weight: float  # share of the 200 products
    price_median: float  # yuan
    price_sigma: float
    margin: tuple[float, float]  # range of product gross margins
    consumable: float  # share of products bought again and again
    return_rate: float  # base share of lines returned
    variants: str  # which SKU attribute set (see VARIANTS)
    nouns: tuple[str, ...]
    female_share: float  # preference of female vs male customers (drives basket mix)


ROOTS: tuple[RootSpec, ...] = (
    RootSpec(
        "Apparel", ("T-shirts", "Dresses", "Jeans", "Outerwear", "Activewear"),
        0.26, 89.0, 0.55, (0.30, 0.72), 0.0, 0.16, "apparel",
        ("Tee", "Dress", "Jeans", "Jacket", "Hoodie", "Leggings", "Shirt", "Skirt"), 0.62,
    ),
    RootSpec(
        "Beauty & Personal Care", ("Skincare", "Makeup", "Hair care", "Fragrance"),
        0.22, 69.0, 0.55, (0.45, 0.80), 0.75, 0.05, "volume",
        ("Serum", "Cream", "Cleanser", "Lipstick", "Shampoo", "Conditioner", "Toner", "Perfume"), 0.80,
    ),
    RootSpec(
        "Home & Kitchen", ("Kitchenware", "Bedding", "Storage", "Home fragrance"),
        0.16, 59.0, 0.60, (0.25, 0.65), 0.15, 0.06, "colour",
        ("Pan", "Knife Set", "Duvet", "Pillow", "Storage Box", "Candle", "Mug", "Towel"), 0.55,
    ),
    RootSpec(
        "Food & Snacks", ("Snacks", "Tea & Coffee", "Supplements"),
        0.14, 29.0, 0.45, (0.15, 0.45), 0.95, 0.015, "pack",
        ("Nut Mix", "Green Tea", "Coffee Beans", "Dried Mango", "Protein Bar", "Vitamin C"), 0.50,
    ),
    RootSpec(
        "Electronics Accessories", ("Phone accessories", "Audio", "Chargers & cables", "Smart gadgets"),
        0.12, 79.0, 0.70, (0.15, 0.55), 0.05, 0.07, "colour",
        ("Phone Case", "Screen Protector", "Earbuds", "Charger", "Cable", "Power Bank", "Smart Band"), 0.35,
    ),
    RootSpec(
        "Mother & Baby", ("Diapers & wipes", "Feeding", "Toys"),
        0.10, 49.0, 0.50, (0.20, 0.55), 0.60, 0.05, "stage",
        ("Diapers", "Wipes", "Bottle", "Teether", "Building Blocks", "Plush Toy"), 0.75,
    ),
)  # fmt: skip

BRANDS: tuple[str, ...] = (
    "Lumi", "Nordwind", "Hanami", "Qingshan", "Aurora", "Mokuzai", "Zephyr", "Baiyun",
    "Kestrel", "Solace", "Tidal", "Yunjin", "Fable", "Orchard", "Pinecone", "Serein",
)  # fmt: skip
ADJECTIVES: tuple[str, ...] = (
    "Classic", "Everyday", "Premium", "Organic", "Ultra", "Soft", "Lightweight", "Essential",
    "Signature", "Travel", "Eco", "Pro", "Mini", "Deluxe", "Fresh", "Urban",
)  # fmt: skip

VARIANTS: dict[str, dict[str, tuple]] = {
    # attribute name -> (values, popularity weights, price factors)
    "apparel": {
        "size": (("S", "M", "L", "XL", "XXL"), (0.16, 0.32, 0.28, 0.16, 0.08), (1, 1, 1, 1, 1)),
        "colour": (("black", "white", "navy", "beige"), (0.4, 0.3, 0.2, 0.1), (1, 1, 1, 1)),
    },
    "volume": {"volume": (("30ml", "50ml", "100ml"), (0.30, 0.45, 0.25), (1.0, 1.5, 2.6))},
    "pack": {"pack": (("1 pack", "3 packs", "6 packs"), (0.45, 0.35, 0.20), (1.0, 2.7, 5.0))},
    "colour": {"colour": (("black", "white", "grey", "blue"), (0.35, 0.30, 0.2, 0.15), (1, 1, 1, 1))},
    "stage": {"stage": (("S1", "S2", "S3", "S4"), (0.25, 0.3, 0.25, 0.2), (1.0, 1.05, 1.1, 1.15))},
}  # fmt: skip

# Places (city, province, share of customers). Far-flung provinces cost more to ship to.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("Shanghai", "Shanghai", 0.11), ("Beijing", "Beijing", 0.10), ("Guangzhou", "Guangdong", 0.08),
    ("Shenzhen", "Guangdong", 0.08), ("Hangzhou", "Zhejiang", 0.07), ("Chengdu", "Sichuan", 0.06),
    ("Wuhan", "Hubei", 0.05), ("Nanjing", "Jiangsu", 0.05), ("Suzhou", "Jiangsu", 0.04),
    ("Xi'an", "Shaanxi", 0.04), ("Chongqing", "Chongqing", 0.04), ("Tianjin", "Tianjin", 0.03),
    ("Changsha", "Hunan", 0.03), ("Xiamen", "Fujian", 0.03), ("Qingdao", "Shandong", 0.03),
    ("Kunming", "Yunnan", 0.025), ("Shenyang", "Liaoning", 0.025), ("Harbin", "Heilongjiang", 0.02),
    ("Nanning", "Guangxi", 0.02), ("Hefei", "Anhui", 0.02), ("Zhengzhou", "Henan", 0.02),
    ("Urumqi", "Xinjiang", 0.01), ("Lhasa", "Tibet", 0.005), ("Hohhot", "Inner Mongolia", 0.01),
)  # fmt: skip
REMOTE_REGIONS = frozenset({"Xinjiang", "Tibet", "Inner Mongolia"})

# Names: (characters, pinyin) so that e-mail addresses read like the name.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("高", "gao"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
)  # fmt: skip
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("军", "jun"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("晓", "xiao"), ("婷", "ting"), ("雪", "xue"), ("欣怡", "xinyi"), ("子涵", "zihan"), ("浩然", "haoran"),
    ("雨桐", "yutong"), ("思远", "siyuan"), ("佳琪", "jiaqi"), ("梓萱", "zixuan"), ("宇轩", "yuxuan"), ("一诺", "yinuo"),
)  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")
PHONE_PREFIXES: tuple[int, ...] = (
    130,
    131,
    132,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    158,
    159,
    186,
    188,
    199,
)

REVIEW_TEXTS: dict[int, tuple[str, ...]] = {
    5: ("Love it, will buy again.", "Exactly as described, fast delivery.", "Great quality for the price."),
    4: ("Good, a little smaller than expected.", "Nice, packaging could be better.", "Happy with it."),
    3: ("It's okay.", "Average quality.", "Took a while to arrive."),
    2: ("Not what I expected.", "Quality is disappointing.", "Colour differs from the photos."),
    1: ("Broke after a week.", "Poor quality, returned it.", "Would not recommend."),
}  # fmt: skip
REVIEW_REPLIES: tuple[str, ...] = (
    "Thank you for your feedback!",
    "Sorry to hear that; our service team will contact you.",
    "Thanks for shopping with us, see you again soon.",
)
SEARCH_QUERIES: tuple[str, ...] = (
    "dress", "serum", "earbuds", "green tea", "diapers", "jacket", "phone case", "candle",
    "sale", "gift", "new arrivals", "coffee", "lipstick", "power bank",
)  # fmt: skip

TAGS: tuple[tuple[str, str], ...] = (
    ("VIP care", "Served personally by the ops team."),
    ("Influencer", "Posts about us; see the KOC flag."),
    ("Complaint history", "Has complained about a product; handle with care."),
    ("Wholesale buyer", "Buys in bulk for resale."),
)

# Community groups: (name stem, kind, platform, description). VIP and welfare groups are
# split into numbered groups of GROUP_SIZE active members, as WeCom groups fill up.
GROUP_SIZE = 480
INTEREST_GROUPS: dict[str, str] = {
    "Apparel": "Style Circle",
    "Beauty & Personal Care": "Skincare Lovers",
    "Home & Kitchen": "Home Cooking Club",
    "Food & Snacks": "Snack Hunters",
    "Electronics Accessories": "Gadget Geeks",
    "Mother & Baby": "Parenting Corner",
}
