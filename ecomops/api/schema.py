"""OpenAPI: the ``Api-Key`` scheme for drf-spectacular (loaded by ``EcomOpsConfig``) and the
schema class that adds the recorded response examples (``ecomops/api/examples.py``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from ecomops.api.examples import recorded_examples


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "ecomops.api.access.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create a key with `manage.py create_api_key`.",
        }


class ExampleSchema(AutoSchema):
    """drf-spectacular's schema with each operation's recorded response example appended
    to the examples its view declares with ``extend_schema(examples=...)``: one list of
    ``OpenApiExample``, so listing (pagination) and status codes work the same for both."""

    def get_examples(self):
        return [*super().get_examples(), *recorded_examples(self.get_operation_id())]
