"""Demo province: units like the source province, demo learners and one account per role.

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

DEPARTMENTS = [
    "Văn phòng UBND tỉnh", "Sở Nội vụ", "Sở Tài chính", "Sở Khoa học và Công nghệ",
    "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương", "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Văn hoá, Thể thao và Du lịch",
    "Sở Dân tộc và Tôn giáo", "Sở Ngoại vụ", "Thanh tra tỉnh", "Ban Quản lý Khu kinh tế",
    "Trung tâm Phục vụ hành chính công tỉnh", "Sở Kế hoạch và Đầu tư",
    "Sở Giao thông vận tải", "Sở Lao động – Thương binh và Xã hội", "Ban Dân tộc",
]  # fmt: skip
# (name, kind of commune-level units, number of communes, remote)
DISTRICTS = [
    ("Thành phố Hạ Long", "Phường", 20, False), ("Thành phố Móng Cái", "Phường", 17, False),
    ("Thành phố Cẩm Phả", "Phường", 16, False), ("Thành phố Uông Bí", "Phường", 10, False),
    ("Thị xã Đông Triều", "Phường", 19, False), ("Thị xã Quảng Yên", "Phường", 19, False),
    ("Huyện Vân Đồn", "Xã", 12, True), ("Huyện Tiên Yên", "Xã", 11, True),
    ("Huyện Hải Hà", "Xã", 11, True), ("Huyện Đầm Hà", "Xã", 9, True),
    ("Huyện Bình Liêu", "Xã", 7, True), ("Huyện Ba Chẽ", "Xã", 7, True),
    ("Huyện Cô Tô", "Xã", 3, True), ("Huyện Hoành Bồ", "Xã", 25, True),
]  # fmt: skip
COMMUNE_NAMES = [
    "Hồng Hà", "Bãi Cháy", "Hà Khẩu", "Cao Xanh", "Hà Tu", "Hồng Gai", "Trần Hưng Đạo",
    "Quang Trung", "Minh Thành", "Đồng Tâm", "Hải Lạng", "Đông Ngũ", "Vô Ngại", "Lục Hồn",
    "Đồn Đạc", "Thanh Lâm", "Quảng Đức", "Đại Bình", "Bình Dân", "Hoà Bình", "Thống Nhất",
    "Tân Dân", "Kỳ Thượng", "Sơn Dương", "Thanh Sơn", "Đông Xá", "Hạ Long", "Minh Châu",
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
    ("nhansu", "Phạm Thu Trang", {Role.HR, Role.LEARNER}, "QN-H01", "QN-H01"),
    ("giangvien", "Lê Minh Tuấn", {Role.TRAINER, Role.LEARNER}, "QN-S04", None),
    ("hocvien", "Nguyễn Thị Hương", {Role.LEARNER}, "QN-H01-X01", None),
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
    for d, (name, prefix, count, remote) in enumerate(DISTRICTS, 1):
        district = unit(f"QN-H{d:02d}", "UBND " + name, UnitKind.DISTRICT, root, remote)
        for c in range(1, count + 1):
            base = COMMUNE_NAMES[(d * 7 + c) % len(COMMUNE_NAMES)]
            # In remote districts the higher-numbered communes are mountain/island communes.
            is_remote = remote and c > count // 2
            unit(
                f"QN-H{d:02d}-X{c:02d}",
                f"UBND {prefix} {base} ({name.split(' ', 1)[1]})",
                UnitKind.COMMUNE,
                district,
                is_remote,
            )
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
