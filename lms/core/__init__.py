"""Cross-cutting pieces shared by every feature: HTML sanitising, text, time, audit, permissions."""
