"""Import every feature's models so Base.metadata (and Alembic) sees all tables."""

from lms.auth.models import PasswordResetToken, User, UserRole
from lms.catalog.models import (
    Course,
    CourseAsset,
    CoursePrerequisite,
    CourseVersion,
    Lesson,
    Module,
)
from lms.certificates.models import Certificate, CertificateFile
from lms.core.models import AuditEvent
from lms.learning.models import Enrollment, LessonProgress
from lms.org.models import OrgUnit

__all__ = [
    "AuditEvent",
    "Certificate",
    "CertificateFile",
    "Course",
    "CourseAsset",
    "CoursePrerequisite",
    "CourseVersion",
    "Enrollment",
    "Lesson",
    "LessonProgress",
    "Module",
    "OrgUnit",
    "PasswordResetToken",
    "User",
    "UserRole",
]
