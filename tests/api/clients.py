"""API clients for the tests: one with an API key of given scopes, one with a staff user."""

from rest_framework.test import APIClient

from ecomops.services import api_key_create


def client_with(*scopes) -> APIClient:
    _, key = api_key_create(name="tool", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def error(response) -> dict:
    return response.json()["error"]
