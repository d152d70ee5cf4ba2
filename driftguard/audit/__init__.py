"""Training-set audit: label issues (confident learning) and poisoned rows (spectral signatures).

Examples
--------
>>> from driftguard.audit import METHODS
>>> METHODS
('confident', 'spectral')
"""

from driftguard.audit.confident import ConfidentLearning, confident_joint, find_label_issues
from driftguard.audit.report import AuditReport
from driftguard.audit.screen import METHODS, audit_table
from driftguard.audit.spectral import SpectralSignatures

__all__ = [
    "METHODS",
    "AuditReport",
    "ConfidentLearning",
    "SpectralSignatures",
    "audit_table",
    "confident_joint",
    "find_label_issues",
]
