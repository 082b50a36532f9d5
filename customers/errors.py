"""The one shape of a service's refusal, shared by every app: a machine ``code`` and a
``message`` for people (the admin shows the message, the API maps the code)."""


class ServiceError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
