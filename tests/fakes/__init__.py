"""Real test peers on loopback: a fake Zalo API and an aiosmtpd SMTP server."""

__all__ = ["smtp_server", "zalo_server"]
