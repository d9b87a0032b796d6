"""The compiled part of datapark-contracts; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "datapark_contracts._record",
            ["src/datapark_contracts/_record.c"],
            # without a C compiler the package installs without it: Envelope.from_kafka's
            # Python code then parses every record
            optional=True,
        )
    ]
)
