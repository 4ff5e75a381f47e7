"""Demo province: Quảng Ninh since 1/7/2025 (province → sở, ban, ngành and 54 xã, phường, đặc khu),
demo learners and one account per role.

Idempotent: units are matched by code and people by username, so running it
again adds nothing. Deterministic (fixed random seed).
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.auth.models import ITQualification, Role, User
from lms.auth.services import hash_password
from lms.org.models import OrgUnit, UnitKind
from lms.org.services import create_unit

# Quảng Ninh as it is since 1/7/2025: the province, its departments (sở, ban, ngành) and 54
# commune-level units (30 phường, 22 xã, 2 đặc khu); the district level no longer exists. The
# department list follows the 2025 restructuring of provincial departments (illustrative: check the
# province's official list before relying on it). The 2019 source figures (14 district-level units,
# 186 communes) are history and are not built.
DEPARTMENTS = [
    "Văn phòng UBND tỉnh", "Sở Nội vụ", "Sở Tài chính", "Sở Khoa học và Công nghệ",
    "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra tỉnh", "Ban Quản lý Khu kinh tế",
    "Trung tâm Phục vụ hành chính công tỉnh",
]  # fmt: skip
# Commune-level units; a name marked "*" is remote (mountain, border or island commune).
PHUONG = [
    "Hà Tu", "Hà Lầm", "Cao Xanh", "Hồng Gai", "Bãi Cháy", "Hạ Long", "Tuần Châu", "Việt Hưng",
    "Hoành Bồ", "Cẩm Phả", "Quang Hanh", "Cửa Ông", "Mông Dương", "Uông Bí", "Vàng Danh", "Yên Tử",
    "Đông Triều", "Bình Khê", "Mạo Khê", "Hoàng Quế", "An Sinh", "Quảng Yên", "Đông Mai", "Hiệp Hòa",
    "Hà An", "Liên Hòa", "Phong Cốc", "Móng Cái 1", "Móng Cái 2", "Móng Cái 3",
]  # fmt: skip
XA = [
    "Quảng La", "Thống Nhất", "Hải Hòa", "Tiên Yên", "Điền Xá*", "Đông Ngũ", "Hải Lạng",
    "Bình Liêu*", "Hoành Mô*", "Lục Hồn*", "Ba Chẽ*", "Kỳ Thượng*", "Lương Minh*", "Đầm Hà",
    "Quảng Tân*", "Quảng Hà", "Đường Hoa", "Quảng Đức*", "Cái Chiên*", "Hải Sơn*", "Hải Ninh",
    "Vĩnh Thực*",
]  # fmt: skip
DAC_KHU = ["Vân Đồn*", "Cô Tô*"]
COMMUNE_LEVEL = [("QN-P", "phường", PHUONG), ("QN-X", "xã", XA), ("QN-DK", "đặc khu", DAC_KHU)]
# The HR demo account's scope: one phường with the offices a commune-level People's Committee has.
HR_UNIT = "QN-P06"  # UBND phường Hạ Long
HR_OFFICES = [
    "Văn phòng HĐND và UBND", "Phòng Kinh tế, Hạ tầng và Đô thị", "Phòng Văn hóa – Xã hội",
    "Trung tâm Phục vụ hành chính công",
]  # fmt: skip
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Hữu", "Phương"]
GIVEN = ["Hương", "Lan", "Hùng", "Dũng", "Mai", "Hà", "Tuấn", "Linh", "Nam", "Hoa", "Sơn",
         "Trang", "Thảo", "Bình", "Cường", "Yến", "Phúc", "Hải", "Long", "Nga"]  # fmt: skip
JOB_TITLES = ["Chuyên viên", "Văn thư", "Công chức một cửa", "Kế toán", "Trưởng phòng",
              "Phó Trưởng phòng", "Công chức Văn phòng – Thống kê", "Công chức Tư pháp – Hộ tịch"]  # fmt: skip
QUALIFICATIONS = [
    (ITQualification.MASTER, 3), (ITQualification.BACHELOR, 25), (ITQualification.COLLEGE, 15),
    (ITQualification.INTERMEDIATE, 22), (ITQualification.NONE, 35),
]  # fmt: skip
DEMO_PASSWORD_SUFFIX = "@2026"
DEMO_ACCOUNTS = [
    # username, full name, roles, unit code, scope unit code
    ("quantri", "Quản trị hệ thống", {Role.ADMIN, Role.LEARNER}, "QN", None),
    ("nhansu", "Phạm Thu Trang", {Role.HR, Role.LEARNER}, f"{HR_UNIT}-01", HR_UNIT),
    ("giangvien", "Lê Minh Tuấn", {Role.TRAINER, Role.LEARNER}, "QN-S04", None),
    ("hocvien", "Nguyễn Thị Hương", {Role.LEARNER}, f"{HR_UNIT}-04", None),
]


def demo_password(username: str) -> str:
    return username + DEMO_PASSWORD_SUFFIX


def build_province(session: Session, *, learners_per_unit: int = 2) -> dict[str, int]:
    existing = {u.code: u for u in session.scalars(select(OrgUnit))}
    created = 0

    def unit(code: str, name: str, kind: str, parent: OrgUnit | None, remote: bool = False) -> OrgUnit:
        nonlocal created
        if code in existing:
            return existing[code]
        created += 1
        u = create_unit(session, code=code, name=name, kind=kind, parent=parent, is_remote=remote)
        existing[code] = u
        return u

    root = unit("QN", "UBND tỉnh Quảng Ninh", UnitKind.PROVINCE, None)
    for i, name in enumerate(DEPARTMENTS, 1):
        unit(f"QN-S{i:02d}", name, UnitKind.DEPARTMENT, root)
    for prefix, word, names in COMMUNE_LEVEL:
        for i, raw in enumerate(names, 1):
            name = raw.rstrip("*")
            unit(f"{prefix}{i:02d}", f"UBND {word} {name}", UnitKind.COMMUNE, root, raw.endswith("*"))
    hr_unit = existing[HR_UNIT]
    place = hr_unit.name.removeprefix("UBND ")
    for i, office in enumerate(HR_OFFICES, 1):
        unit(f"{HR_UNIT}-{i:02d}", f"{office} {place}", UnitKind.OFFICE, hr_unit, hr_unit.is_remote)
    session.flush()

    usernames = set(session.scalars(select(User.username)))
    rng = random.Random(2019)
    people = 0
    weights = [w for _, w in QUALIFICATIONS]
    quals = [q for q, _ in QUALIFICATIONS]
    for code, u in sorted(existing.items()):
        for n in range(1, learners_per_unit + 1):
            username = f"cb.{code.lower()}.{n}"
            if username in usernames:
                continue
            full = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            user = User(
                username=username,
                email=f"{username}@quangninh.gov.vn",
                full_name=full,
                org_unit_id=u.id,
                job_title=rng.choice(JOB_TITLES),
                it_qualification=rng.choices(quals, weights)[0],
                password_hash="",  # demo learners cannot log in; use the role accounts
            )
            user.set_roles({Role.LEARNER.value})
            session.add(user)
            people += 1
    demo_hash = {}
    for username, full, roles, unit_code, scope_code in DEMO_ACCOUNTS:
        if username in usernames:
            continue
        demo_hash[username] = hash_password(demo_password(username))
        user = User(
            username=username,
            email=f"{username}@quangninh.gov.vn",
            full_name=full,
            org_unit_id=existing[unit_code].id,
            job_title="Chuyên viên",
            it_qualification=ITQualification.BACHELOR,
            password_hash=demo_hash[username],
            scope_unit_id=existing[scope_code].id if scope_code else None,
        )
        user.set_roles({r.value for r in roles})
        session.add(user)
        people += 1
    session.flush()
    return {"units": created, "people": people}
