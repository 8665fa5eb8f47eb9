"""Demo topics and resources (being written)."""


def seed_demo_repository() -> dict[str, int]:
    return {}
