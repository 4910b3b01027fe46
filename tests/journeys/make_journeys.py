"""Writes tests/journeys/journeys/*.yml from the tables below (one file per kind of journey).

The journeys are written from the customer's side, blind: only the README's demo identities and
DOMAIN.md were read. Rerun after editing a table:  .venv/bin/python -m tests.journeys.make_journeys
Each incident on one policy differs from every other in day/time, place and amount.
"""
from __future__ import annotations

from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent / "journeys"

PEOPLE = {
    "motor": dict(policy="AUTO-2026-0001", name="张伟", dob="1985-04-12", phone="13800000001"),
    "medical1": dict(policy="MED-2026-0001", name="张伟", dob="1985-04-12", phone="13800000001"),
    "medical2": dict(policy="MED-2026-0002", name="李秀英", dob="1948-09-30", phone="13800000002"),
    "home": dict(policy="HOME-2026-0001", name="John Smith", dob="1990-07-01", phone="+8613800000003"),
    "accident": dict(policy="ACC-2026-0001", name="王芳", dob="1992-02-14", phone="13800000004"),
}
LINE_OF = {"motor": "motor", "medical1": "medical", "medical2": "medical", "home": "home", "accident": "accident"}

# how each persona says the date of birth (the plain ISO form is the fallback when asked again)
DOB_SAID = {
    ("motor", "elderly"): "1985年4月12号", ("motor", "hurried"): "19850412", ("motor", "typo"): "1985-4-12",
    ("motor", "vague"): "85年4月12", ("motor", "code_switch"): "1985.04.12", ("motor", "rambling"): "我是85年4月12号生的",
    ("motor", "traditional"): "1985年4月12日", ("motor", "english"): "12 April 1985",
    ("medical2", "elderly"): "1948年9月30号", ("medical2", "traditional"): "民國37年9月30日",
    ("medical2", "vague"): "48年9月30", ("medical2", "typo"): "1948。9。30", ("medical2", "rambling"): "我是四八年九月三十出生的",
    ("home", "english"): "1 Jul 90", ("home", "hurried"): "1990-07-01", ("home", "rambling"): "July 1st, 1990",
    ("home", "vague"): "07/01/1990", ("home", "elderly"): "the first of July 1990", ("home", "typo"): "1990-07-01",
    ("home", "code_switch"): "1990年7月1日",
    ("accident", "vague"): "92年2月14", ("accident", "hurried"): "19920214", ("accident", "traditional"): "1992年2月14日",
    ("accident", "code_switch"): "1992-02-14 情人节那天", ("accident", "rambling"): "我情人节生的 1992年2月14",
}


def persona(who: str, style: str, **extra) -> dict:
    lang = "en" if style == "english" or (who == "home" and style != "code_switch") else "zh"
    p = {"lang": lang, "script": "traditional" if style == "traditional" else "simplified", "style": style}
    p.update(extra)
    return p


def facts(who: str, style: str, **more) -> dict:
    f = dict(PEOPLE[who])
    f["dob_said"] = DOB_SAID.get((who, style), f["dob"])
    f.update(more)
    return f


JOURNEYS: list[dict] = []


def add(kind: str, who: str, style: str, opening: str, expect: dict, persona_extra: dict | None = None,
        goal_said: str | None = None, **fact_more):
    n = sum(1 for j in JOURNEYS if j["kind"] == kind and j["line"] == LINE_OF[who]) + 1
    j = {
        "id": f"{LINE_OF[who]}-{kind}-{n:02d}-{style}",
        "kind": kind,
        "line": LINE_OF[who],
        "persona": persona(who, style, **(persona_extra or {})),
        "opening": opening,
        "facts": facts(who, style, **fact_more),
        "expect": expect,
    }
    if goal_said:
        j["goal_said"] = goal_said
    JOURNEYS.append(j)


# --------------------------------------------------------------------------- report: one incident each
# (style, opening, date spec, date said, HH:MM or None, time said, place, place key, what happened,
#  injury, amount or None, amount said, police, kind words the store may use, extra)
# date spec: days ago (int), "lm:15" (the 15th of last month), "wd:5" (the last Saturday before today)

KIND_WORDS = {
    "collision": ["collision", "碰撞", "追尾", "rear", "crash", "accident", "刮", "撞"],
    "theft": ["theft", "盗", "偷", "stolen", "抢"],
    "glass": ["glass", "玻璃", "windscreen", "windshield"],
    "flood": ["flood", "水淹", "泡水", "water", "涉水", "暴雨"],
    "hospital": ["hospital", "住院", "门诊", "medical", "疾病", "illness", "急诊", "手术", "病", "outpatient",
                 "emergency", "surgery"],
    "fire": ["fire", "火"],
    "water": ["water", "leak", "水", "pipe", "flood", "漏"],
    "home_theft": ["theft", "burglary", "break", "盗", "偷", "stolen"],
    "damage": ["damage", "accident", "损", "break", "broken", "storm", "其他", "other"],
    "injury": ["injury", "accident", "意外", "伤", "骨折", "fracture", "hospital", "住院"],
}

MOTOR = [
    ("elderly", "你好，我想报个案。我昨天下午三点在中山路被后面的车追尾了，后保险杠撞坏了", 1, "昨天", "15:00", "下午三点",
     "中山路", "中山路", "等红灯的时候被后面一辆车追尾，后保险杠撞坏了", "没人受伤", 3000, "修理厂说大概三千块", "报了，交警来过了",
     "collision", {"other_party": "对方全责，是辆白色轿车"}),
    ("hurried", "车被撞了 报案 快点", 2, "前天", "08:30", "早上八点半左右", "北四环学院桥东200米", "学院桥",
     "早高峰在北四环学院桥被后车追尾", "人没事", 4500, "4500左右", "交警来了 对方全责", "collision", {}),
    ("rambling", "唉，今天真是倒霉透了，本来要去接孩子放学的，结果在学校门口倒车的时候蹭到了旁边一辆车，我想报个案", 0, "今天",
     "16:40", "下午四点四十左右", "实验小学门口", "实验小学", "倒车时蹭到旁边停着的车，对方车门划了一道", "没人受伤", 1200,
     "人家说一千二", "没报警，我们私了不了才找你们的", "collision", {}),
    ("vague", "车好像出了点事 想问问能不能报", 3, "大前天", "20:00", "晚上吧 八点左右", "小区地下车库", "地下车库",
     "停在地下车库被不知道谁刮了一道", "没有人受伤", None, "不知道 还没去修", "没报警", "collision", {}),
    ("typo", "我要抱案 车子玻璃被砸了", 1, "昨天晚上", "23:00", "晚上十一点", "人民路停车场", "人民路",
     "停在路边的车前挡风玻璃被人砸了", "没人受上", 2800, "两千八", "报了警 派出所来过", "glass", {}),
    ("code_switch", "hi 我要report一个car accident", 4, "4天前", "09:15", "morning 9点15", "延安高架下匝道", "延安高架",
     "下匝道的时候跟一辆SUV剐蹭了", "no one hurt 没人受伤", 6000, "大概6000 RMB", "called police 交警来过", "collision", {}),
    ("traditional", "您好，我的車昨天在停車場被撞了，想報案", 1, "昨天", "12:30", "中午十二點半", "萬達廣場停車場", "停車場",
     "停在萬達廣場停車場被倒車的車撞到左前門", "沒有人受傷", 3500, "大概三千五", "沒有報警，對方留了電話", "collision", {}),
    ("english", "Hi, someone hit my car this morning and I need to file a claim", 0, "this morning", "07:45",
     "around 7:45am", "Huaihai Road near the metro station", "Huaihai", "a taxi hit my rear left door while I was parked",
     "nobody was hurt", 5200, "about 5200 yuan", "yes, the traffic police came", "collision", {}),
    ("elderly", "同志你好，我儿子的车是我开的，上个月15号在菜市场门口跟电动车碰了一下", "lm:15", "上个月15号", "10:00",
     "上午十点来钟", "东门菜市场门口", "菜市场", "倒车的时候碰到一辆电动车，电动车倒了", "骑电动车的人膝盖擦破了皮，去诊所包了一下",
     1800, "赔了人家一千八", "报了交警", "collision", {}),
    ("hurried", "车被偷了!!! 报案", 0, "今天早上发现", None, "不知道几点被偷的 早上7点发现的", "阳光小区3号楼楼下",
     "阳光小区", "车停在楼下，早上起来车没了", "没人受伤", 150000, "车值15万左右", "已经报警了 110来过了", "theft", {}),
    ("rambling", "是这样的，前几天暴雨你们知道吧，我那个车停在桥洞底下，结果水一下子就上来了，发动机都进水了，能报吗", 5,
     "5天前", "18:00", "傍晚六点那会儿", "人民桥桥洞下", "人民桥", "暴雨积水，车停在桥洞下被水淹了，发动机进水", "人没事",
     20000, "修理厂说要两万", "没报警", "flood", {}),
    ("vague", "我车被划了一下 不知道算不算", "wd:5", "上周六", None, "记不清几点了 白天吧", "公司楼下路边", "公司楼下",
     "停在路边被人划了一道", "没有", 800, "八百", "没报警", "collision", {}),
    ("typo", "追尾了 要报案 保丹号AUTO-2026-0001", 2, "前天", "17:30", "下五五点半", "解放大道和建设路路口", "解放大道",
     "在路口等灯被后车追尾", "没人受伤", 3800, "三千八", "交警来了认定对方全责", "collision", {}),
    ("code_switch", "我的车被一辆truck刮了 要claim", 6, "6天前", "14:00", "下午2点 around", "G60高速嘉兴段", "G60",
     "高速上被大货车变道刮到右侧", "没人受伤", 9000, "9k左右", "高速交警处理的", "collision", {}),
    ("traditional", "請問車子被樹砸到可以理賠嗎？我要報案", 3, "三天前", "21:00", "晚上九點", "和平公園旁邊", "和平公園",
     "颱風天停在路邊被倒下的樹砸到車頂", "沒有人受傷", 7500, "七千五", "沒有報警", "damage", {}),
    ("english", "I'd like to report a claim, I scraped my car against a pillar in a car park", 1, "yesterday",
     "19:20", "about twenty past seven in the evening", "the IFC mall car park", "IFC",
     "I scraped the right side against a concrete pillar while parking", "no injuries", 2300, "around 2,300 RMB",
     "no police", "collision", {}),
    ("elderly", "我开车撞到护栏了，想报案，我年纪大了不太会弄这个", 4, "四天前", "11:00", "上午十一点", "滨江大道", "滨江大道",
     "转弯的时候没看清撞到了路边护栏，车头凹进去了", "我自己手有点擦伤，没大事", 5600, "五千六", "没报警", "collision", {}),
    ("hurried", "报案 停车场被撞 对方跑了", 0, "今天", "13:10", "中午1点10分", "家乐福停车场", "家乐福",
     "停着的车被撞了 对方跑了", "没人", 4200, "4200", "报警了", "collision", {}),
    ("rambling", "你好，我想问一下，就是我那个车啊，前天晚上开回家的时候，在隧道里面前面一辆车突然掉下来一个箱子，我没躲开，就撞上去了，前面保险杠和大灯都坏了",
     2, "前天晚上", "22:15", "晚上十点一刻", "长江隧道", "长江隧道", "前车掉下来的箱子砸到车头，保险杠和大灯坏了", "没人受伤",
     6800, "估计六千八", "没报警", "collision", {}),
    ("vague", "我想报案 就是车前面有点问题", 7, "一周前吧", "08:00", "早上吧", "学校门口那条路", "学校",
     "早上送孩子的时候跟前面的车碰了一下", "应该没人受伤", 1500, "一千五左右吧", "好像没报", "collision", {}),
    ("typo", "我的车前挡风玻离裂了 怎么报", 1, "昨天", "16:00", "下午4点", "沪宁高速无锡段", "沪宁高速",
     "高速上前车轮胎带起来的石子把挡风玻璃打裂了", "没有", 1900, "一千九", "没有", "glass", {}),
    ("english", "My car was broken into last night and the radio was stolen, can I make a claim?", 1, "last night",
     "02:00", "probably around 2am", "outside my flat on Wulumuqi Road", "Wulumuqi",
     "someone smashed the window and took the radio and a bag", "no", 3100, "about 3,100", "yes, I called 110",
     "theft", {}),
]

MEDICAL = [
    ("medical2", "elderly", "我今年78了，上个月住了几天院，想报个理赔，这个怎么弄", "lm:15", "上个月15号", None,
     "白天住进去的", "市第一人民医院", "第一人民医院", "高血压头晕住院住了五天", "就是住院了", 8600, "花了八千六",
     "hospital", {}),
    ("medical2", "traditional", "請問住院可以理賠嗎？我上週因為肺炎住院了", 9, "上週", "10:00", "上午十點入院",
     "中山醫院", "中山医院", "肺炎住院一週", "住院治療", 12400, "一萬二千四", "hospital", {}),
    ("medical2", "vague", "我前阵子看病花了不少钱 能报吗", 20, "二十来天前", None, "记不清了", "区中医院", "中医院",
     "腰疼去做了理疗和检查", "门诊", 2600, "两千六左右", "hospital", {}),
    ("medical2", "typo", "我要报销注院的钱 理陪怎么弄", 12, "12天前", "09:00", "早上9点", "华山医院", "华山医院",
     "摔了一跤髋关节疼，住院检查", "住院", 15800, "一万五千八", "hospital", {}),
    ("medical2", "rambling", "你好啊，我跟你说，我这个老毛病又犯了，心脏不舒服，我女儿前几天把我送到医院去了，住了一个礼拜，现在出院了，想问问怎么报",
     8, "八天前", "23:30", "半夜十一点半送去的", "瑞金医院急诊", "瑞金医院", "心脏不舒服急诊住院一周", "住院", 21000,
     "两万一", "hospital", {}),
    ("medical2", "elderly", "闺女，我前天去医院拿药做检查，花了一千多，能报吗", 2, "前天", "08:00", "早上八点",
     "社区卫生服务中心", "社区卫生", "去拿降压药做了检查", "门诊看病", 1100, "一千一", "hospital", {}),
    ("medical2", "hurried", "住院理赔 报案", 15, "半个月前", "14:00", "下午两点", "仁济医院", "仁济医院",
     "白内障手术住院三天", "住院手术", 9800, "9800", "hospital", {}),
    ("medical2", "traditional", "我要申請理賠，上個月初做了膝蓋手術", "lm:3", "上個月3號", "07:30", "早上七點半入院",
     "第六人民醫院", "第六人民", "膝關節置換手術住院十天", "住院手術", 36000, "三萬六", "hospital", {}),
    ("medical1", "hurried", "医疗险报案 急性阑尾炎住院了", 10, "10天前", "03:00", "凌晨3点", "协和医院", "协和医院",
     "急性阑尾炎做了手术住院四天", "住院手术", 14200, "一万四千二", "hospital", {}),
    ("medical1", "code_switch", "我要claim医疗险 之前发烧去了急诊", 6, "6天前", "21:00", "晚上9点", "儿童医院急诊",
     "儿童医院", "高烧去急诊打点滴", "急诊", 900, "900块", "hospital", {}),
    ("medical1", "english", "I need to claim for a hospital stay under my medical policy", 14, "two weeks ago",
     "11:00", "around 11 in the morning", "Shanghai United Family Hospital", "United Family",
     "I was admitted with a kidney stone for three days", "hospital stay", 18500, "about 18,500 yuan", "hospital", {}),
    ("medical1", "rambling", "唉，上周打球把脚崴了，一开始以为没事，后来肿得厉害去医院拍了片子，说是骨裂，花了好几千，医疗险能报吗", 7,
     "上周", "19:00", "晚上七点多", "市六院骨科", "六院", "打篮球崴脚骨裂，拍片打石膏", "脚骨裂", 4300, "四千三",
     "hospital", {}),
    ("medical1", "typo", "我要报销医阮的费用 胃镜检查", 4, "4天前", "08:30", "早上八点半", "长海医院", "长海医院",
     "胃疼去做了胃镜检查", "门诊检查", 1600, "一千六", "hospital", {}),
    ("medical1", "vague", "住院的钱能报吗 就是上次那个", 25, "二十多天前", None, "不记得了", "市中心医院", "中心医院",
     "过敏住院观察了两天", "住院", 5400, "五千四吧", "hospital", {}),
    ("medical1", "traditional", "醫療險怎麼理賠？我前天晚上急診打了點滴", 2, "前天晚上", "22:00", "晚上十點",
     "華東醫院急診", "华东医院", "腸胃炎急診打點滴", "急診", 750, "七百五", "hospital", {}),
    ("medical1", "elderly", "我想报个医疗险，我做了个小手术", 18, "十八天前", "09:30", "上午九点半", "东方医院",
     "东方医院", "割了个脂肪瘤，门诊手术", "门诊手术", 3300, "三千三", "hospital", {}),
]

HOME = [
    ("english", "Hi, a pipe burst in my kitchen yesterday and flooded the floor. I want to make a claim.", 1,
     "yesterday", "06:30", "about 6:30 in the morning", "my flat, kitchen", "kitchen",
     "a pipe under the kitchen sink burst and water ruined the wooden floor", 8200, "roughly 8,200 RMB", "water", {}),
    ("hurried", "burglary. need to claim now", 0, "today", None, "between 9 and 5 while I was at work",
     "my flat on Xinhua Road", "Xinhua", "someone broke in and took my laptop and a watch", 16000, "16000",
     "home_theft", {"police": "yes, police came, I have a report number"}),
    ("rambling", "So, long story, I was cooking and got distracted by a phone call and the pan caught fire, the firefighters came and the kitchen is a mess, I'd like to file a claim please",
     3, "three days ago", "19:00", "around 7pm, dinner time", "my kitchen at home", "kitchen",
     "a pan fire spread to the cupboards; the fire brigade put it out", 45000, "the builder says about 45,000",
     "fire", {"police": "the fire brigade came, not the police"}),
    ("vague", "something happened at my place, not sure if it's covered", 5, "last week sometime", None,
     "not sure, evening?", "the living room", "living room", "water came through the ceiling from upstairs",
     None, "no idea yet", "water", {}),
    ("typo", "i need to make a cliam, my tv got broken", 2, "two days ago", "20:30", "around 8:30pm",
     "living room at home", "living room", "my son knocked the TV off the stand and the screen broke", 6500,
     "6500 yuan", "damage", {}),
    ("english", "Our washing machine leaked overnight and damaged the downstairs neighbour's ceiling. How do I claim?",
     4, "four days ago", "01:00", "sometime overnight, maybe 1am", "the bathroom in my flat", "bathroom",
     "the washing machine hose came off and water leaked into the flat below", 12000, "12,000 yuan", "water", {}),
    ("elderly", "Hello, I'm not very good with computers. My bicycle was stolen from the building storage.", 6,
     "last Monday", "09:00", "I noticed it about 9 in the morning", "the bike storage room of my building",
     "storage", "my bicycle was taken from the locked storage room", 2400, "it cost 2,400", "home_theft",
     {"police": "yes I told the police"}),
    ("code_switch", "我家里漏水了 want to claim", 1, "昨天晚上", "22:00", "晚上10点", "卫生间", "卫生间",
     "热水器漏水泡坏了地板", 3700, "大概3700", "water", {}),
    ("english", "A storm broke two of my windows last night. Claim please.", 1, "last night", "23:00", "around 11pm",
     "my flat, bedroom windows", "bedroom", "strong wind blew a branch through two bedroom windows", 4100,
     "about 4,100 yuan", "damage", {}),
    ("hurried", "kitchen fire small. claim", 8, "8 days ago", "12:00", "noon", "kitchen", "kitchen",
     "toaster caught fire and burned the counter", 3900, "3900", "fire", {}),
    ("rambling", "Hi there, so my wife dropped her phone, no wait, it's not the phone, it's the glass table in the living room, she dropped a pot on it and it shattered, can we claim that on the home policy?",
     0, "this morning", "08:15", "about quarter past eight", "living room", "living room",
     "a heavy pot fell on the glass coffee table and shattered it", 1700, "the table was 1,700", "damage", {}),
    ("vague", "my laptop got damaged I think by water", 10, "about ten days ago", None, "no idea", "my study", "study",
     "a glass of water spilled on the laptop on my desk", 9500, "around 9,500 maybe", "damage", {}),
    ("typo", "somone broke into my garage, need to report", 2, "two days ago", "04:00", "around 4am",
     "the garage at my house", "garage", "the garage door was forced and tools were stolen", 5800, "about 5800",
     "home_theft", {"police": "yes, reported to police"}),
    ("english", "The upstairs flat flooded and water is coming through my ceiling. I need to open a claim.", 0,
     "today", "10:30", "around half ten this morning", "hallway ceiling", "hallway",
     "water from the flat upstairs soaked the hallway ceiling and it partly collapsed", 7300, "7,300 yuan",
     "water", {}),
    ("elderly", "Good afternoon. Lightning struck near the house and my fridge and computer stopped working.", 12,
     "about twelve days ago", "17:00", "about five in the afternoon", "my house", "house",
     "a power surge from lightning broke the fridge and the computer", 11000, "about 11,000 yuan", "damage", {}),
    ("code_switch", "home insurance 报案 家里被偷了", 3, "大前天", "15:00", "下午三点左右", "家里卧室", "卧室",
     "有人撬门进来偷了首饰和现金", 22000, "两万二", "home_theft", {"police": "报警了"}),
]

ACCIDENT = [
    ("elderly", "我下楼梯摔了一跤，腿摔骨折了，住了几天院，意外险能报吗", 6, "六天前", "07:00", "早上七点出门的时候",
     "我家楼道", "楼道", "下楼梯踩空摔倒，小腿骨折，住院五天", "小腿骨折", 13500, "花了一万三千五", "injury", {}),
    ("hurried", "意外险报案 骑车摔了", 1, "昨天", "18:20", "晚上6点20", "南京西路", "南京西路", "骑共享单车摔了 手腕骨裂",
     "手腕骨裂", 2700, "2700", "injury", {}),
    ("rambling", "你好，我跟你们说一下哈，我周末去爬山，下山的时候没注意，脚一滑就摔下去了，膝盖韧带拉伤了，去医院又是拍片又是做理疗的，花了不少钱",
     "wd:6", "上周日", "15:30", "下午三点半左右", "佘山", "佘山", "爬山下山时滑倒，膝盖韧带拉伤", "膝盖韧带拉伤", 4800,
     "四千八", "injury", {}),
    ("vague", "我受了点伤 不知道能不能赔", 9, "九天前", None, "记不清了 好像是下午", "公司", "公司", "在公司被柜门砸到头，缝了几针",
     "头上缝了针", 1300, "一千三左右吧", "injury", {}),
    ("typo", "我要抱案 意外受上了", 3, "三天前", "12:10", "中午12点10", "食堂", "食堂", "在食堂地滑摔倒，尾椎骨受伤",
     "尾椎骨挫伤", 2200, "两千二", "injury", {}),
    ("code_switch", "我要报一个accident 跑步的时候受伤了", 2, "前天", "06:30", "早上6点半 morning run", "世纪公园",
     "世纪公园", "晨跑时被树根绊倒，手臂骨折", "arm fracture 手臂骨折", 9200, "9200左右", "injury", {}),
    ("traditional", "您好，我被狗咬了，要打疫苗，意外險可以報嗎？", 1, "昨天", "19:40", "晚上七點四十", "小區花園",
     "花园", "在小區花園被鄰居的狗咬傷小腿", "小腿被咬傷", 1450, "一千四百五", "injury", {}),
    ("english", "Hi, I slipped in the shower and cracked a rib, I'd like to claim on my accident policy", 4,
     "four days ago", "07:10", "around ten past seven in the morning", "my bathroom at home", "bathroom",
     "I slipped in the shower and cracked a rib", "a cracked rib", 3600, "about 3,600 yuan", "injury", {}),
    ("elderly", "我被电动车撞了，住院了，现在出院了想报意外险", 15, "半个月前", "17:30", "下午五点半",
     "延安西路和江苏路路口", "江苏路", "过马路被电动车撞倒，锁骨骨折住院", "锁骨骨折", 18800, "一万八千八", "injury",
     {"police": "报了警，交警开了事故证明"}),
    ("hurried", "切菜切到手 缝针了 报案", 0, "今天", "11:30", "中午11点半", "家里厨房", "厨房", "切菜切到手指 缝了5针",
     "手指缝针", 650, "650", "injury", {}),
    ("rambling", "哎呀我真是，前天在商场扶梯上被后面的人挤了一下，摔下来了，胳膊肘都摔青了，还有点骨裂，去医院看了，医生让我打石膏",
     2, "前天", "14:45", "下午两点三刻", "来福士商场扶梯", "来福士", "在商场扶梯上摔倒，肘部骨裂打石膏", "肘部骨裂", 3100,
     "三千一", "injury", {}),
    ("vague", "出了个小意外 想问能不能报", 12, "十来天前", "20:00", "晚上吧", "健身房", "健身房", "健身时杠铃砸到脚",
     "脚趾骨折", 2500, "两千五吧", "injury", {}),
    ("typo", "滑雪摔伤了 意外险怎么理陪", 20, "二十天前", "10:20", "上午10点20", "万龙滑雪场", "万龙", "滑雪摔倒肩膀脱臼",
     "肩膀脱臼", 6400, "六千四", "injury", {}),
    ("traditional", "我騎機車摔倒了，手和腳都擦傷，去醫院處理了，想申請意外險", 5, "五天前", "08:50", "早上八點五十分",
     "中正路", "中正路", "騎機車閃避行人摔倒，手腳擦傷", "手腳擦傷", 980, "九百八", "injury", {}),
    ("english", "I fell off a ladder while changing a light bulb and broke my wrist. I want to file a claim.", 8,
     "eight days ago", "21:00", "about 9pm", "my living room", "living room", "fell off a step ladder and broke my wrist",
     "a broken wrist", 7700, "7,700 yuan", "injury", {}),
    ("code_switch", "accident insurance 报案 烫伤了", 3, "大前天", "18:00", "晚上6点", "家里厨房灶台", "灶台",
     "做饭时热油溅出来烫伤了手臂", "手臂二度烫伤", 3400, "3400左右", "injury", {}),
    ("elderly", "我上个月在公园散步摔了一跤，头上磕破了，缝了针", "lm:20", "上个月20号", "16:00", "下午四点左右",
     "人民公园", "人民公园", "散步时被台阶绊倒，额头磕破缝针", "额头缝针", 1250, "一千二百五", "injury", {}),
    ("hurried", "打球撞伤了 眉骨缝针 要报", 4, "4天前", "20:30", "晚上8点半", "体育馆篮球场", "体育馆", "打篮球撞到对方眉骨裂开缝针",
     "眉骨缝针", 1700, "1700", "injury", {}),
]

# urgent: serious injury in the opening; a fast-track handoff is an acceptable end
URGENT = [
    ("motor", "hurried", "救命 我老婆刚出车祸了 流了好多血 人昏过去了 怎么办", 0, "刚才", None, "就刚才", "沪太路", "沪太路",
     "在沪太路被一辆货车撞了，老婆在副驾驶受了重伤", "我老婆重伤昏迷，已经送医院了", None, "不知道", "collision",
     {"police": "报了，120和交警都来了"}),
    ("motor", "rambling", "刚才出了车祸,我老婆伤得很重,现在在医院抢救,怎么办", 0, "刚才", None, "就半小时前", "外环高速",
     "外环", "外环高速上被后车高速追尾，老婆受重伤在医院抢救", "我老婆重伤在抢救", None, "不知道", "collision",
     {"police": "交警在处理"}),
    ("accident", "elderly", "我老伴从楼梯上摔下来了，头在流血，现在人不太清醒，怎么办啊", 0, "刚刚", None, "刚刚",
     "家里楼梯", "楼梯", "我从楼梯上摔下来头部受伤，现在在急救", "头部受伤流血", None, "不知道", "injury", {}),
    ("home", "english", "My house is on fire right now, the fire brigade is here, what do I do about insurance?", 0,
     "right now", None, "just now", "my house", "house", "the house caught fire, the fire brigade is here", "my neighbour inhaled smoke", None,
     "no idea", "fire", {}),
]


WHAT_SHORT = {
    ("collision", "zh"): "车被撞了", ("collision", "en"): "car accident", ("theft", "zh"): "车被偷了",
    ("theft", "en"): "theft", ("glass", "zh"): "车玻璃碎了", ("glass", "en"): "broken car window",
    ("flood", "zh"): "车被水淹了", ("flood", "en"): "flood", ("hospital", "zh"): "住院",
    ("hospital", "en"): "hospital stay", ("fire", "zh"): "着火了", ("fire", "en"): "fire",
    ("water", "zh"): "家里漏水", ("water", "en"): "water leak at home", ("home_theft", "zh"): "家里被偷了",
    ("home_theft", "en"): "burglary", ("damage", "zh"): "东西被砸坏了", ("damage", "en"): "accidental damage",
    ("injury", "zh"): "意外受伤", ("injury", "en"): "accident injury",
}


def _report(who, row, urgent=False):
    (style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, injury, amount, asaid, kind, extra) = row
    line = LINE_OF[who]
    inc = {"date": dspec, "date_said": dsaid, "time": hhmm, "time_said": tsaid, "place": place, "place_said": place,
           "place_key": key, "what": what, "injury": injury, "amount": amount, "amount_said": asaid,
           "kind_said": what,
           "what_short": WHAT_SHORT[(kind, persona(who, style)["lang"])]}
    if isinstance(dspec, int):
        inc["days_ago"] = dspec
    for k in ("police", "other_party"):
        if k in extra:
            inc[k] = extra[k]
    stored = {"claim": {"policy": PEOPLE[who]["policy"], "place_contains": key, "kind_any": KIND_WORDS[kind]}}
    if amount is not None:
        stored["claim"]["amount"] = amount
    exp = {"stored": stored}
    if urgent:
        exp["handoff_ok"] = True
        exp["urgent"] = True
    add("report", who, style, opening, exp, incident=inc)


def motor_row(r):
    style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, injury, amount, asaid, police, kind, extra = r
    extra = dict(extra, police=police)
    return (style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, injury, amount, asaid, kind, extra)


for r in MOTOR:
    _report("motor", motor_row(r))
for r in MEDICAL:
    who, rest = r[0], r[1:]
    style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, injury, amount, asaid, kind, extra = rest
    _report(who, (style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, injury, amount, asaid, kind, extra))
for r in HOME:
    style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, amount, asaid, kind, extra = r
    _report("home", (style, opening, dspec, dsaid, hhmm, tsaid, place, key, what, "nobody was hurt", amount, asaid,
                     kind, extra))
for r in ACCIDENT:
    _report("accident", r)
for who, *row in URGENT:
    _report(who, tuple(row), urgent=True)

# --------------------------------------------------------------------------- documents
DOCS_MOTOR = ["驾驶证", "行驶证", "维修", "driving licence", "driving license", "vehicle licence", "repair"]
DOCS_THEFT = ["公安", "报案回执", "钥匙", "登记证书", "police", "keys", "registration"]
DOCS_MED = ["病历", "诊断", "发票", "费用清单", "出院小结", "medical record", "diagnosis", "invoice", "discharge"]
DOCS_HOME = ["财产损失清单", "损失清单", "list of damaged", "damaged items", "proof of value", "purchase", "photos",
             "消防", "fire brigade", "fire-brigade"]
DOCS_ACC = ["意外事故证明", "事故证明", "accident proof", "proof of the accident", "病历", "medical record", "诊断"]

for who, style, opening, loss, words in [
    ("motor", "elderly", "车险理赔要什么材料", "车被撞了", DOCS_MOTOR),
    ("motor", "english", "What paperwork do I need if my car got stolen?", "car theft", DOCS_THEFT),
    ("motor", "hurried", "追尾了 要准备啥材料", "追尾", DOCS_MOTOR),
    ("motor", "traditional", "請問車子被偷了要準備哪些文件？", "車子被偷了", DOCS_THEFT),
    ("motor", "typo", "车险报销要那些才料", "车撞了", DOCS_MOTOR),
    ("motor", "code_switch", "car accident 要准备什么documents", "碰撞", DOCS_MOTOR),
    ("medical2", "traditional", "請問住院理賠需要準備哪些文件？", "住院", DOCS_MED),
    ("medical2", "elderly", "我住院了，要准备哪些东西才能报", "住院", DOCS_MED),
    ("medical1", "english", "what documents do I need for a hospital claim?", "hospital stay", DOCS_MED),
    ("medical1", "vague", "看病的那些单子 要交哪些啊", "看病", DOCS_MED),
    ("medical1", "code_switch", "住院claim需要哪些材料 list一下", "住院", DOCS_MED),
    ("home", "english", "what documents do I need for a house fire?", "house fire", DOCS_HOME),
    ("home", "rambling", "Hi, so my flat got burgled last month and I never claimed, what would I need to send you?",
     "burglary", DOCS_HOME),
    ("home", "hurried", "docs for water damage claim?", "water damage", DOCS_HOME),
    ("home", "vague", "can u just tell me the general list?", "home damage", DOCS_HOME),
    ("accident", "elderly", "摔伤了要准备哪些材料", "摔伤", DOCS_ACC),
    ("accident", "traditional", "意外險理賠要什麼資料？", "意外受傷", DOCS_ACC),
    ("accident", "english", "What do I need to send for an accident claim, I broke my arm", "broken arm", DOCS_ACC),
    ("accident", "typo", "意外险理陪要准备什么", "意外受伤", DOCS_ACC),
]:
    zh = persona(who, style)["lang"] == "zh"
    light = {"days_ago": 3, "date_said": "前几天" if zh else "a few days ago", "time": None,
             "time_said": "记不清几点了" if zh else "not sure what time", "place": "家附近" if zh else "near my home",
             "what": loss, "amount": None, "amount_said": "还不知道" if zh else "don't know yet",
             "injury": "没人受伤" if zh else "nobody hurt"}
    add("documents", who, style, opening, {"answer_any": words}, loss_said=loss, incident=light)

# --------------------------------------------------------------------------- status
ST_MOTOR = ["材料审核", "审核", "驾驶证", "维修发票", "document review", "driving licence", "under review"]
ST_MED2 = ["核赔", "定损", "审核", "评估", "assessment", "assessing", "理算"]
for who, style, opening, words, extra in [
    ("motor", "hurried", "查一下理赔进度", ST_MOTOR, {}),
    ("motor", "elderly", "我上次报的那个车险，现在怎么样了", ST_MOTOR, {}),
    ("motor", "english", "Hi, what's happening with my car claim?", ST_MOTOR, {}),
    ("motor", "typo", "我的理陪到哪一步了", ST_MOTOR, {}),
    ("motor", "traditional", "請問我的理賠進度如何？", ST_MOTOR, {}),
    ("medical2", "elderly", "我姓李，今年78了，想问一下我住院那个理陪怎么样了", ST_MED2, {}),
    ("medical2", "traditional", "我住院的理賠審核到哪裡了？", ST_MED2, {}),
    ("medical2", "vague", "那个报销的事 有消息没", ST_MED2, {}),
    ("medical2", "rambling", "你好，我上次住院那个报销，交了材料好久了，一直没消息，我女儿让我来问问到底怎么样了", ST_MED2, {}),
    ("home", "english", "has my claim been paid yet?", ["paid", "payment", "已赔付", "赔付"], {"pick": "paid"}),
    ("home", "hurried", "status of my claims", ["paid", "denied", "declined", "refused", "closed"], {}),
    ("home", "vague", "why was my claim turned down? the october one", ["denied", "declin", "refus", "reason", "clause"],
     {"pick": "denied"}),
    ("home", "code_switch", "我的claim status怎么样了", ["paid", "denied", "已赔付", "拒赔", "赔付"], {}),
    # 王芳 has no claim in the demo data, but the report journeys of the same run may have added some
    ("accident", "hurried", "查理赔", ["没有", "暂无", "没找到", "no claim", "还没有", "已报案", "等待受理"], {}),
    ("accident", "english", "do I have any open claims?", ["no claim", "no open", "don't have", "haven't", "没有",
                                                         "reported", "waiting to be picked up"], {}),
]:
    add("status", who, style, opening, {"answer_any": words}, **extra)

# --------------------------------------------------------------------------- clause questions
CL_GENERIC = ["条款", "第", "clause", "article", "section"]
for who, style, opening, words in [
    ("motor", "elderly", "免赔额是什么意思，我这个车险要自己掏多少", ["500", "五百"]),
    ("motor", "english", "what is the deductible on my car policy?", ["500"]),
    ("motor", "hurried", "保额多少", ["300,000", "300000", "30万", "三十万"]),
    ("motor", "code_switch", "喝了点酒开车出事了赔不赔", ["酒", "alcohol", "drink", "免除", "不赔", "不予", "exclu"]),
    ("motor", "traditional", "請問我的車險最多賠多少？", ["300,000", "300000", "30萬", "30万", "三十萬"]),
    ("medical1", "typo", "等候期是啥意思 我的医疗险要等多久", ["30天", "30 天", "三十天", "30 days", "30日"]),
    ("medical1", "english", "Is there a waiting period on my medical insurance?", ["30 days", "30天", "30-day", "30 天"]),
    ("medical1", "vague", "我等待期内住院能赔吗", ["30天", "30 天", "等待期", "waiting"]),
    ("medical2", "elderly", "起付线是什么意思啊 我不懂", CL_GENERIC + ["免赔", "起付"]),
    ("medical2", "traditional", "既往症是什麼意思？我有高血壓能賠嗎？", CL_GENERIC + ["既往"]),
    ("medical1", "hurried", "医疗险保额多少", ["50,000", "50000", "5万", "五万"]),
    ("home", "english", "Does my home policy cover accidental damage, like if I break my TV?", CL_GENERIC),
    ("home", "rambling", "So I was reading my policy and there's this bit about exclusions, what does that actually mean for me?",
     CL_GENERIC + ["exclu"]),
    ("home", "vague", "is flooding covered? i think?", CL_GENERIC),
    ("accident", "elderly", "意外险里的责任免除是什么意思", CL_GENERIC + ["免除", "不赔"]),
    ("accident", "code_switch", "我的accident policy 骨折能赔多少", CL_GENERIC),
    ("accident", "traditional", "請問意外險的理賠時效是多久？", CL_GENERIC + ["2年", "两年", "兩年", "时效", "時效"]),
]:
    add("clause", who, style, opening, {"answer_any": words, "handoff_ok": False})

# --------------------------------------------------------------------------- complaints
for who, style, opening, c in [
    ("motor", "hurried", "我要投诉 理赔太慢了", {"about": "理赔太慢，材料交了一周没人处理", "request": "尽快处理，给个说法",
                                           "facts": "我的车险理赔交材料一周了没有任何进展"}),
    ("motor", "rambling", "我真的很生气，你们那个定损员态度太差了，说话阴阳怪气的，我要投诉他",
     {"about": "定损员态度差", "request": "换个定损员，并且道歉", "facts": "上周定损的时候定损员对我很不耐烦，还说我骗保"}),
    ("motor", "english", "I want to make a complaint, nobody has called me back about my car claim",
     {"about": "no call back about my car claim", "request": "I want someone senior to review it",
      "facts": "I was promised a call within 24 hours last week and nobody called"}),
    ("medical2", "elderly", "我要投诉，我打了好几次电话都没人接", {"about": "客服电话打不通", "request": "希望有人给我回个电话",
                                                   "facts": "我这个礼拜打了三次客服电话都没人接"}),
    ("medical2", "traditional", "我要投訴，你們一直讓我補材料，補了三次了", {"about": "反复要求补材料", "request": "一次说清楚要什么，尽快处理",
                                                        "facts": "住院理赔让我补了三次材料，每次说的都不一样"}),
    ("medical1", "typo", "投诉 你们理陪员说话不算数", {"about": "理赔员承诺不兑现", "request": "按承诺的时间赔付",
                                             "facts": "理赔员说三天到账，现在十天了还没到"}),
    ("home", "english", "I'd like to complain about how my claim was handled",
     {"about": "the handling of my denied claim", "request": "a proper explanation and a review",
      "facts": "my claim was denied without anyone looking at the photos I sent"}),
    ("home", "hurried", "complaint. your app keeps logging me out",
     {"about": "the app", "request": "fix it", "facts": "the app logs me out every time I try to upload a document"}),
    ("home", "rambling", "Look, I don't usually do this, but I have to complain, the assessor who came round was two hours late and then rushed everything",
     {"about": "the assessor's visit", "request": "an apology and a second visit",
      "facts": "the assessor arrived two hours late and spent ten minutes"}),
    ("accident", "vague", "我想投诉一下 就是感觉你们服务不太好", {"about": "服务态度", "request": "希望改进，给我个答复",
                                                "facts": "问了几次问题都没人回答清楚"}),
    ("accident", "code_switch", "我要complaint 你们的hotline一直占线", {"about": "热线打不通", "request": "回电话给我",
                                                          "facts": "连续两天打热线都占线"}),
    ("motor", "traditional", "我要投訴查勘員遲到三個小時", {"about": "查勘员迟到", "request": "道歉并说明原因",
                                                "facts": "约好上午九点查勘，中午十二点才来"}),
]:
    add("complaint", who, style, opening, {"stored": {"complaint": True}}, complaint=c)

# --------------------------------------------------------------------------- disputes
DISP = ["调解", "仲裁", "诉讼", "mediation", "arbitration", "court", "条款", "clause", "reason", "原因"]
for who, style, opening, extra in [
    ("home", "english", "I disagree with the decision to deny my claim", {"pick": "denied"}),
    ("home", "rambling", "Why was my claim refused? It was locked inside my front garden, so I really don't understand the decision",
     {"pick": "denied"}),
    ("home", "hurried", "appeal the denied claim", {"pick": "denied"}),
    ("home", "code_switch", "我不同意你们拒赔的决定 this is not fair", {"pick": "denied"}),
    ("home", "vague", "the payout seems low? not sure it's right", {"pick": "paid"}),
    ("medical2", "elderly", "我对你们的理赔结果有意见，凭什么不给我全赔", {}),
    ("motor", "rambling", "我修车花了8000，你们只赔7500，这个我不认，凭什么扣我500", {}),
    ("medical1", "traditional", "我不接受你們的理賠決定，要申訴", {}),
]:
    add("dispute", who, style, opening, {"answer_any": DISP, "handoff_ok": True}, **extra)

# --------------------------------------------------------------------------- a person
for who, style, opening in [
    ("motor", "hurried", "转人工"),
    ("motor", "english", "agent please"),
    ("motor", "typo", "我要找真人客服 别让机器人跟我说"),
    ("medical2", "elderly", "我七十多岁了，看不懂这些，能不能找个人跟我说"),
    ("medical2", "traditional", "請幫我轉人工客服"),
    ("medical1", "code_switch", "可以转human吗 我想跟real person说"),
    ("home", "rambling", "Honestly I'd rather just speak to a human being if that's possible, these bots never understand me"),
    ("home", "vague", "can I talk to someone?"),
    ("accident", "elderly", "我年纪大了 打字慢 有没有人工"),
    ("accident", "hurried", "人工"),
]:
    add("human", who, style, opening, {"handoff": True}, persona_extra={"wants_human": True})


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.yml"):
        old.unlink()
    by_kind: dict[str, list] = {}
    for j in JOURNEYS:
        by_kind.setdefault(j["kind"], []).append(j)
    ids = [j["id"] for j in JOURNEYS]
    assert len(ids) == len(set(ids)), "duplicate journey ids"
    for kind, js in by_kind.items():
        head = f"# {kind} journeys, written from the customer's side (generated by tests/journeys/make_journeys.py)\n"
        (OUT / f"{kind}.yml").write_text(
            head + yaml.safe_dump(js, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    print(f"{len(JOURNEYS)} journeys:", {k: len(v) for k, v in by_kind.items()})


if __name__ == "__main__":
    main()
