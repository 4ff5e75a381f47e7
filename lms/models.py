"""Import every feature's models so Base.metadata (and Alembic) sees all tables."""

from lms.api.models import ApiToken
from lms.auth.models import PasswordResetToken, User, UserRole
from lms.authoring.models import CourseAuthor, CourseDraft, CourseSnapshot, DraftLesson, DraftModule
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
from lms.jobs.models import Job, JobFile, JobFileChunk
from lms.learning.models import Enrollment, LessonProgress
from lms.lti.models import (
    Deployment,
    GradeSync,
    Identity,
    Launch,
    Link,
    LinkMember,
    LoginState,
    Platform,
    RegistrationToken,
    ToolKey,
)
from lms.org.models import OrgUnit
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.sso.models import OidcIdentity, SsoSettings
from lms.training.models import (
    Assignment,
    AssignmentMember,
    Attendance,
    ClassMember,
    ClassUnit,
    ImportIssue,
    ImportJob,
    ImportRow,
    Target,
    TrainingClass,
)
from lms.xapi.models import XapiStatement

__all__ = [
    "Answer",
    "ApiToken",
    "Assignment",
    "AssignmentMember",
    "Attempt",
    "Attendance",
    "AuditEvent",
    "Certificate",
    "CertificateFile",
    "ClassMember",
    "ClassUnit",
    "Course",
    "CourseAsset",
    "CourseAuthor",
    "CourseDraft",
    "CoursePrerequisite",
    "CourseSnapshot",
    "CourseVersion",
    "Deployment",
    "DraftLesson",
    "DraftModule",
    "Enrollment",
    "GradeSync",
    "Identity",
    "ImportIssue",
    "ImportJob",
    "ImportRow",
    "Job",
    "JobFile",
    "JobFileChunk",
    "Launch",
    "Lesson",
    "LessonProgress",
    "Link",
    "LinkMember",
    "LoginState",
    "Module",
    "OidcIdentity",
    "OrgUnit",
    "PasswordResetToken",
    "Platform",
    "Question",
    "Quiz",
    "RegistrationToken",
    "SsoSettings",
    "Target",
    "ToolKey",
    "TrainingClass",
    "User",
    "UserRole",
    "XapiStatement",
]
