"""PAdES signing and validation with pyHanko.

The issuing body's key and certificate come from a PKCS#12 file
(``LMS_SIGNING_P12`` + ``LMS_SIGNING_P12_PASSPHRASE``); validation trusts the
PEM roots in ``LMS_SIGNING_TRUST_ROOTS``. Without configuration the files made
by ``flask --app wsgi lms certificates dev-keys`` under instance/signing/ are
used, so demos and tests sign with a self-signed CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")
DEV_DIR = "signing"
DEV_P12 = "signing.p12"
DEV_PASSPHRASE = "passphrase"  # noqa: S105  (a file name, not a secret)
DEV_CA = "ca.pem"


class SigningNotConfiguredError(RuntimeError):
    """No PKCS#12 is configured and no dev keys exist."""


@dataclass(frozen=True)
class SigningSettings:
    p12_path: str
    passphrase: str
    trust_roots: tuple[str, ...]


def dev_key_dir() -> Path:
    """instance/signing/ (the configured INSTANCE_PATH, which overrides may change)."""
    return Path(current_app.config.get("INSTANCE_PATH") or current_app.instance_path) / DEV_DIR


def signing_settings() -> SigningSettings | None:
    """Where the key and trust roots are, from config or instance/signing/; None if nowhere."""
    config = current_app.config
    dev = dev_key_dir()
    p12 = config.get("SIGNING_P12") or ""
    passphrase = config.get("SIGNING_P12_PASSPHRASE") or ""
    if not p12 and (dev / DEV_P12).exists():
        p12 = str(dev / DEV_P12)
        passphrase = (dev / DEV_PASSPHRASE).read_text().strip()
    if not p12:
        return None
    roots = config.get("SIGNING_TRUST_ROOTS") or ""
    trust = tuple(r for r in roots.split(":") if r) or (
        (str(dev / DEV_CA),) if (dev / DEV_CA).exists() else ()
    )
    return SigningSettings(p12, passphrase, trust)


def signing_available() -> bool:
    return signing_settings() is not None


@lru_cache(maxsize=4)
def _load_signer(p12_path: str, passphrase: str, mtime: float):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class CachedKeySigner(signers.SimpleSigner):
        """SimpleSigner re-parses (and re-validates) the private key on every
        signature, about 45 ms for RSA; parse it once per process instead."""

        _key: object = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if self._key is None:
                self._key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            try:
                pkcs1 = mechanism.signature_algo == "rsassa_pkcs1v15"
            except ValueError:
                pkcs1 = False
            if pkcs1 and isinstance(self._key, RSAPrivateKey):
                return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)

    loaded = signers.SimpleSigner.load_pkcs12(p12_path, passphrase=passphrase.encode() or None)
    if loaded is None:
        raise SigningNotConfiguredError(f"cannot load PKCS#12 {p12_path}")
    return CachedKeySigner(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
    )


def get_signer():
    settings = signing_settings()
    if settings is None:
        raise SigningNotConfiguredError(
            "set LMS_SIGNING_P12 or run `flask --app wsgi lms certificates dev-keys`"
        )
    return _load_signer(settings.p12_path, settings.passphrase, Path(settings.p12_path).stat().st_mtime)


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """Return pdf with an invisible PAdES signature of the issuing body.

    B-B without a time-stamping authority. With ``LMS_SIGNING_TSA_URL`` the
    signature gets an RFC 3161 signature timestamp from that TSA (PAdES B-T)
    and the certificates and any revocation data of the signer and the TSA go
    into the document security store (B-LT), so the signature can still be
    checked once the signing certificate has expired (decision 1404). If the
    TSA does not answer, signing fails and the certificate waits for
    ``render-missing`` like any other failed rendering.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = get_signer()
    tsa_url = current_app.config.get("SIGNING_TSA_URL") or ""
    timestamper = None
    long_term: dict[str, Any] = {}
    if tsa_url:
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(tsa_url, timeout=15)
        # Revocation data (OCSP/CRL) is fetched from the URLs in the certificates, where they have any.
        long_term = {"embed_validation_info": True, "validation_context": _validation_context(fetch=True)}
    meta = signers.PdfSignatureMetadata(
        field_name="Signature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        **long_term,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    out = BytesIO()
    reserved = _reserved_size(signer) + (16384 if timestamper else 0)  # the TSA's token and chain
    _run_async(
        lambda: signers.async_sign_pdf(
            writer, meta, signer=signer, timestamper=timestamper, output=out, bytes_reserved=reserved
        )
    )
    return out.getvalue()


def _validation_context(moment: dt.datetime | None = None, *, fetch: bool = False):
    """Trust the configured roots (which must include the TSA's); fetch only when signing."""
    from pyhanko_certvalidator import ValidationContext

    settings = signing_settings()
    roots = [_load_pem(p) for p in settings.trust_roots] if settings else []
    if moment is None:
        return ValidationContext(trust_roots=roots, allow_fetching=fetch)
    return ValidationContext(trust_roots=roots, allow_fetching=fetch, moment=moment)


def _run_async(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a pyHanko coroutine to completion, also when this thread already runs an
    event loop (e.g. under an async server or Playwright): then in a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def _reserved_size(signer) -> int:
    """Room for the CMS container: the embedded certificates plus signature and attributes.

    Giving it skips pyHanko's dry-run signature that estimates the size (half the signing time).
    """
    certs = [signer.signing_cert, *signer.cert_registry]
    size = sum(len(c.dump()) for c in certs) + 4096
    return size + size % 2  # pyHanko wants an even number


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool  # the file carries at least one signature
    ours: bool  # signed by our signing certificate
    intact: bool  # the signed bytes are unchanged and cover the whole file
    trusted: bool  # chains to a configured trust root (at the trusted timestamp's time, if any)
    error: str = ""
    timestamp: dt.datetime | None = None  # time from a valid, trusted RFC 3161 signature timestamp

    @property
    def genuine(self) -> bool:
        return self.signed and self.ours and self.intact and self.trusted


def check_signature(pdf: bytes, *, at: dt.datetime | None = None) -> SignatureCheck:
    """Validate the last signature of pdf against the configured trust roots.

    at: the time to validate for (default now). When the signature carries a
    valid timestamp from a trusted TSA, the signer's certificate is checked at
    the timestamp's time instead, so a certificate signed while the key was
    valid stays genuine after the signing certificate expires.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:  # malformed PDF: pyHanko raises many kinds
        return SignatureCheck(False, False, False, False, error=type(exc).__name__)
    if not sigs:
        return SignatureCheck(False, False, False, False)
    sig = sigs[-1]
    settings = signing_settings()
    ours = False
    if settings is not None:
        ours = sig.signer_cert.dump() == get_signer().signing_cert.dump()
    try:
        vc = _validation_context(at)
        status = _run_async(lambda: async_validate_pdf_signature(sig, vc, ts_validation_context=vc))
        stamp = status.timestamp_validity
        when = (
            stamp.timestamp if stamp is not None and stamp.valid and stamp.intact and stamp.trusted else None
        )
        if when is not None and not status.trusted:
            at_stamp = _validation_context(when)
            status = _run_async(lambda: async_validate_pdf_signature(sig, at_stamp, ts_validation_context=vc))
    except Exception as exc:
        return SignatureCheck(True, ours, False, False, error=type(exc).__name__)
    return SignatureCheck(
        True, ours, bool(status.intact and status.valid and _covers_all(sig, status)), bool(status.trusted),
        timestamp=when,
    )  # fmt: skip


def _covers_all(sig: Any, status: Any) -> bool:
    """The signature covers the whole file, or only validation data (B-LT's DSS) was added after it."""
    from pyhanko.sign.diff_analysis import ModificationLevel

    coverage = sig.coverage.name if sig.coverage is not None else ""
    if coverage == "ENTIRE_FILE":
        return True
    return (
        coverage == "ENTIRE_REVISION"
        and status.modification_level == ModificationLevel.LTA_UPDATES
        and bool(status.docmdp_ok)
    )


@lru_cache(maxsize=8)
def _load_pem(path: str):
    from asn1crypto import pem, x509

    data = Path(path).read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def make_dev_keys(directory: Path, *, org_name: str, issuer_name: str, force: bool = False) -> Path:
    """Create a self-signed CA and a signing certificate (PKCS#12) in directory."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    p12_path = directory / DEV_P12
    if p12_path.exists() and not force:
        return p12_path
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org_name} – CA thử nghiệm (DEV)"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, org_name),
                    x509.NameAttribute(NameOID.COMMON_NAME, issuer_name),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(24)
    p12 = pkcs12.serialize_key_and_certificates(
        b"lms-signing",
        key,
        cert,
        [ca_cert],
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    for name, data in (
        (DEV_PASSPHRASE, passphrase.encode()),
        (DEV_CA, ca_cert.public_bytes(serialization.Encoding.PEM)),
        (DEV_P12 + ".tmp", p12),
    ):
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
    (directory / (DEV_P12 + ".tmp")).replace(p12_path)
    return p12_path
