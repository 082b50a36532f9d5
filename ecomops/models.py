"""EcomOps owns no models; this module exists so the app receives ``post_migrate``
(roles are re-synced after every migrate, see ``apps.py``)."""
