"""Signed PDF reports: what they say (content), how they look (rendering, charts), how they are
signed and checked (signing, verification), where they are kept (storage), and the services
that request, produce and verify them."""
