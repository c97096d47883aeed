#!/usr/bin/env python3
"""Writes the sample stock-conversion (换发) files, one per kind: CSV for the
organisation kinds (headers as printed on the certificates), JSONL for the
personnel kinds (with photo files). Check characters are computed, dates are
relative to today so the certificates are still in force.

usage: ops/samples/generate.py [OUTDIR]   (default: rewrites ops/samples/)"""
import datetime, json, os, random, struct, sys, zlib

HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(HERE, "photos"), exist_ok=True)
rng = random.Random(2026)
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(area):
    body = "91" + area + "".join(rng.choice(USCC) for _ in range(9))
    return body + USCC[(31 - sum(USCC.index(c) * W[i] for i, c in enumerate(body)) % 31) % 31]


def idnum(area):
    birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randrange(35 * 365))
    body = area + birth.strftime("%Y%m%d") + "%03d" % rng.randrange(1000)
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w[i] for i, c in enumerate(body)) % 11]


def png(path, shade):
    w, h = 60, 80
    raw = b"".join(b"\x00" + bytes(shade if (x - 30) ** 2 + (y - 28) ** 2 < 200 or y > 55 else 230 for x in range(w))
                   for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


today = datetime.date.today()
issued = lambda back: (today - datetime.timedelta(days=back)).isoformat()
until = lambda years: (today + datetime.timedelta(days=365 * years)).isoformat()
people = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "黄志强", "赵敏"]
companies = ["宏达建设工程有限公司", "恒信建筑工程有限公司", "广厦工程技术有限公司", "安泰建设集团有限公司"]


def org_csv(name, kind, header, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join('"%s"' % v.replace('"', '""') for v in r) + "\n")


quals = {"construction_enterprise": ("D", ["建筑工程施工总承包二级", "地基基础工程专业承包一级"]),
         "survey": ("B", ["工程勘察专业类岩土工程乙级"]),
         "design": ("A", ["建筑行业（建筑工程）乙级", "市政行业（道路工程）丙级"]),
         "supervision": ("E", ["房屋建筑工程监理甲级"])}
for kind, (letter, q) in quals.items():
    rows = [[f"{letter}221{rng.randrange(10000, 99999)}{rng.randrange(10)}", "沈阳" + companies[i % 4], uscc("210100"),
             people[i], f"辽宁省沈阳市和平区南京北街{100 + i}号", f"{rng.randrange(1000, 9000)}万元", "；".join(q),
             issued(400 + i), until(2), issued(400 + i)] for i in range(4)]
    org_csv(kind + ".csv", kind, ["证书编号", "企业名称", "统一社会信用代码", "法定代表人", "注册地址", "注册资本",
                                  "资质类别及等级", "有效期自", "有效期至", "发证日期"], rows)
org_csv("testing_institution.csv", "testing_institution",
        ["证书编号", "机构名称", "统一社会信用代码", "法定代表人", "地址", "检测范围", "资质等级", "有效期自", "有效期至", "发证日期"],
        [[f"粤检字第2021{rng.randrange(10000, 99999)}号", "广州" + companies[i % 4].replace("建设", "检测"), uscc("440100"),
          people[i], f"广东省广州市天河区天河路{200 + i}号", "建筑材料及构配件；主体结构及装饰装修；钢结构",
          "综合类", issued(500 + i), until(3), issued(500 + i)] for i in range(4)])
org_csv("safety_license.csv", "safety_license",
        ["编号", "企业名称", "统一社会信用代码", "主要负责人", "单位地址", "经济类型", "许可范围", "有效期自", "有效期至", "发证日期"],
        [[f"（闽）JZ安许证字[2024]{rng.randrange(100000, 999999)}", "福州" + companies[i % 4], uscc("350100"), people[i],
          f"福建省福州市鼓楼区五四路{50 + i}号", "有限责任公司", "建筑施工", issued(300 + i), until(1), issued(300 + i)]
         for i in range(4)])

persons = {"staff_training": lambda i: {"post": ["施工员", "质量员", "安全员", "资料员"][i], "gender": "男" if i % 2 else "女",
                                        "number": f"3201{2024}{rng.randrange(100000, 999999)}"},
           "special_operation": lambda i: {"post": "建筑电工", "number": f"苏A01{2024}{rng.randrange(100000, 999999)}",
                                           "valid_until": until(1)},
           "safety_manager_a": lambda i: {"number": f"苏建安A(2024){rng.randrange(1000000, 9999999)}",
                                          "employer": "南京" + companies[i % 4], "valid_until": until(2)},
           "safety_manager_b": lambda i: {"number": f"苏建安B(2024){rng.randrange(1000000, 9999999)}",
                                          "employer": "南京" + companies[i % 4], "valid_until": until(2)},
           "safety_manager_c": lambda i: {"number": f"苏建安C{1 + i % 3}(2024){rng.randrange(1000000, 9999999)}",
                                          "employer": "南京" + companies[i % 4], "valid_until": until(2)}}
n = 0
for kind, extra in persons.items():
    with open(os.path.join(HERE, kind + ".jsonl"), "w", encoding="utf-8") as f:
        for i in range(4):
            photo = f"photos/p{n}.png"
            png(os.path.join(HERE, photo), 60 + 20 * (n % 5))
            fields = {"name": people[(i + n) % 8], "id_number": idnum("320102"), "photo": photo, "issue_date": issued(200 + i)}
            fields.update(extra(i))
            f.write(json.dumps({"kind": kind, "fields": fields}, ensure_ascii=False) + "\n")
            n += 1
print("samples written to", HERE)
