"""The demo community's projects (``manage.py seed_demo``): what residents asked for, in their
words, and the state each is seeded to."""

from __future__ import annotations

from projects.models import State

# (title, summary, category, location, estimated cost, target state)
PROJECTS: list[tuple[str, str, str, str, str, str]] = [
    (
        "3号楼楼道声控灯更换",
        "3号楼 1—6 层楼道灯坏了大半，老人晚上上下楼看不清台阶。",
        "lighting",
        "3号楼",
        "4800.00",
        State.CLOSED,
    ),
    (
        "东门至菜市场人行道修补",
        "东门外人行道砖块松动、雨天积水，推婴儿车和轮椅都很难走。",
        "roads",
        "东门",
        "68000.00",
        State.EVALUATING,
    ),
    (
        "社区老年助餐点",
        "小区独居老人多，希望在活动中心设助餐点，每天供应午餐。",
        "elderly",
        "活动中心一楼",
        "180000.00",
        State.EXECUTING,
    ),
    (
        "中心花园健身角",
        "中心花园空地增设健身器材和塑胶地面，方便居民锻炼。",
        "fitness",
        "中心花园",
        "95000.00",
        State.PUBLICIZING,
    ),
    (
        "5号楼雨水管网改造",
        "每逢大雨 5 号楼前积水没过脚踝，地下室进水，需要改造排水。",
        "drainage",
        "5号楼",
        "220000.00",
        State.DECIDING,
    ),
    (
        "儿童游乐区围栏加固",
        "游乐区围栏生锈松动，紧挨车行道，孩子玩耍有安全隐患。",
        "children",
        "游乐区",
        "26000.00",
        State.DELIBERATING,
    ),
    (
        "垃圾分类亭遮雨棚",
        "分类亭没有遮雨棚，下雨天投放垃圾很不方便，垃圾也被淋湿。",
        "greening",
        "北区分类亭",
        "32000.00",
        State.ASSESSING,
    ),
    (
        "非机动车充电棚",
        "电动车在楼道充电有火灾隐患，建议建集中充电棚。",
        "safety",
        "北门停车区",
        "150000.00",
        State.SCREENING,
    ),
    (
        "社区阅览室延长开放",
        "希望阅览室周末和晚上也开放，方便上班族和学生。",
        "other",
        "活动中心二楼",
        "12000.00",
        State.COLLECTING,
    ),
    (
        "小区主干道减速带",
        "主干道车速快，清晨老人散步很危险，建议增设减速带。",
        "safety",
        "主干道",
        "8000.00",
        State.DRAFT,
    ),
    (
        "楼顶晾晒架维修",
        "7号楼顶晾晒架断了两根，居民没地方晒被子。",
        "other",
        "7号楼顶",
        "3000.00",
        State.LAPSED,
    ),
    (
        "门口修建喷泉",
        "在小区门口修建音乐喷泉，提升小区形象。",
        "greening",
        "南门",
        "600000.00",
        State.REJECTED,
    ),
    (
        "地下车库照明",
        "地下车库灯光昏暗，已申请物业处理，提议撤回。",
        "lighting",
        "地下车库",
        "20000.00",
        State.WITHDRAWN,
    ),
    (
        "西区绿化补种",
        "西区绿地斑秃严重，建议补种草皮和灌木。",
        "greening",
        "西区",
        "45000.00",
        State.RECTIFYING,
    ),
    (
        "健身步道翻新",
        "环形步道塑胶老化开裂，跑步容易崴脚。",
        "fitness",
        "环形步道",
        "76000.00",
        State.FAILED,
    ),
]
# Projects the council has discussed, put to the residents in a budget round instead:
# (title, summary, category, location, assessed cost). The first four are in the OPEN round of
# 幸福里社区; the last four in the CLOSED (counted) round of 和平社区.
ROUND_PROJECTS: list[tuple[str, str, str, str, str]] = [
    (
        "社区食堂适老化改造",
        "活动中心食堂加装扶手、防滑地面和低位取餐台。",
        "elderly",
        "活动中心",
        "85000.00",
    ),
    ("楼道扶手加装", "1—4号楼楼道加装扶手，方便老人上下楼。", "elderly", "1—4号楼", "60000.00"),
    (
        "儿童阅读角",
        "活动中心二楼辟出儿童阅读角，添置书架和绘本。",
        "children",
        "活动中心二楼",
        "40000.00",
    ),
    ("北门路灯增设", "北门至公交站一段没有路灯，夜里回家不安全。", "lighting", "北门", "120000.00"),
    (
        "小区监控补盲",
        "车棚和后门没有监控，电动车电瓶屡次被盗。",
        "safety",
        "车棚、后门",
        "90000.00",
    ),
    (
        "口袋公园座椅",
        "口袋公园只有两张长椅，增设座椅和遮阳伞。",
        "greening",
        "口袋公园",
        "30000.00",
    ),
    ("楼顶防水维修", "2号楼顶层漏水，住户天花板发霉。", "other", "2号楼", "160000.00"),
    ("快递柜遮雨棚", "快递柜露天摆放，雨天取件淋雨。", "other", "南门", "25000.00"),
]
