"""One distribution for the customer self-service kiosk and its backoffice."""

from setuptools import find_packages, setup

KIOSK = [
    "kivy==2.3.1",
    "opencv-python-headless>=4.9",
    "zxing-cpp>=2.2",
    "pyzbar>=0.1.9",
    "vobject>=0.9.7",
    "segno>=1.6",
    "phonenumbers>=8.13",
    "python-stdnum>=1.20",
    "personnummer>=3.1",
    "requests>=2.31",
    "numpy>=1.26",
    "Babel>=2.14",
]
SERVER = [
    "fastapi>=0.110",
    "uvicorn[standard]>=0.29",
    "sqlalchemy>=2.0.30",
    "alembic>=1.13",
    "psycopg[binary]>=3.1",
    "jinja2>=3.1",
    "cryptography>=42",
    "argon2-cffi>=23.1",
    "python-multipart>=0.0.9",
    "phonenumbers>=8.13",
    "python-stdnum>=1.20",
    "personnummer>=3.1",
    "segno>=1.6",
    "vobject>=0.9.7",
    "Babel>=2.14",
    "personnummer>=3.1",
]
DEV = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "hypothesis>=6.100",
    "playwright>=1.44",
    "httpx>=0.27",
    "schemathesis>=4.0",
    # coverage-guided fuzzing of the input parsers; binary wheels for x86-64 only (skipped elsewhere)
    "atheris>=2.3; platform_machine == 'x86_64' and python_version < '3.13'",
    "ruff>=0.5",
    "psutil>=5.9",
]

def _asset_files() -> list[tuple[str, list[str]]]:
    """assets/ goes to <prefix>/share/counter-kiosk/assets when installed without a checkout (the Pi)."""
    import os

    out = []
    for folder, _dirs, files in os.walk("assets"):
        if files:
            out.append((os.path.join("share", "counter-kiosk", folder), [os.path.join(folder, f) for f in files]))
    return out


setup(
    name="counter-kiosk",
    version="0.1.0",
    description="Customer self-service kiosk (Kivy) and its backoffice (FastAPI)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["kiosk", "kiosk.*", "backoffice", "backoffice.*"]),
    include_package_data=True,
    data_files=_asset_files(),
    package_data={
        "kiosk": ["screens/*.kv", "*.kv", "locale/*/LC_MESSAGES/*.po"],
        "backoffice": [
            "templates/*.html",
            "templates/*/*.html",
            "locale/*/LC_MESSAGES/*.po",
            "static/*",
            "migrations/*.py",
            "migrations/versions/*.py",
            "alembic.ini",
        ],
    },
    install_requires=[],
    extras_require={
        "kiosk": KIOSK,
        "server": SERVER,
        "dev": DEV,
        "all": sorted(set(KIOSK + SERVER + DEV)),
    },
    entry_points={
        "console_scripts": [
            "backoffice=backoffice.cli:main",
            "kiosk=kiosk.__main__:main",
            "kiosk-decode=kiosk.camera.cli:main",
        ]
    },
)
