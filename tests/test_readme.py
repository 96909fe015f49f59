"""The README documents every setting: a new CITYOPS_* variable without a line there fails."""

from pathlib import Path

from core.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented():
    text = README.read_text()
    missing = [
        f"CITYOPS_{name.upper()}"
        for name in Settings.__struct_fields__
        if f"CITYOPS_{name.upper()}" not in text
    ]
    assert not missing, f"document these in README.md: {missing}"


def test_readme_opens_with_the_two_commands():
    head = README.read_text().split("\n## ", 1)[0]
    assert "make run" in head and "make test" in head
