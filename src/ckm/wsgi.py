"""WSGI entry point (gunicorn ckm.wsgi; runserver loads it too).

Once the application is built, a background thread loads the sentence model and the active
learned models (suggestions, case classifier), so the first agent to open a case does not wait
seconds for them; CKM_WARM_UP=0 turns it off."""

import logging
import os
import threading
import time

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ckm.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
application = get_wsgi_application()
logger = logging.getLogger("ckm.wsgi")


def warm_up() -> None:
    """Load what the first suggestion and the first classification need; errors are logged, a
    cold start is never worse than no warm-up."""
    from django.db import connections

    started = time.monotonic()
    logger.info("warm-up: loading the sentence model and the learned models in the background")
    try:
        from ckm.knowledge.suggestions.engine import active_model, embed_message
        from ckm.service.services.classify import active_classifier

        embed_message("warm up")
        suggestions = active_model()
        classifier = active_classifier()
        # the line an operator waits for before timing the first page
        logger.info(
            "warm-up: models ready in %.1f s (suggestions: %s, case classifier: %s)",
            time.monotonic() - started,
            f"v{suggestions[0].version}" if suggestions else "none trained yet",
            classifier[0].version if classifier else "none trained yet",
        )
    except Exception:
        logger.exception("warm-up failed; models load on first use instead")
    finally:
        connections.close_all()


if os.environ.get("CKM_WARM_UP", "1") != "0":
    threading.Thread(target=warm_up, name="ckm-warm-up", daemon=True).start()
