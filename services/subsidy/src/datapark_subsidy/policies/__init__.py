"""The policies' HTTP surface (``GET /v1/policies``) and their dated parameter files
(``parameters/**.yaml``); the policy catalogue and the parameter values are terms
(``terms/policies.py``, ``terms/parameters.py``)."""
