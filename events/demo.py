"""Demo programmes and events (being written)."""


def seed_demo_events() -> dict[str, int]:
    return {}
