"""The actor behind a request (``me``) and the timeline entry every domain's events implement."""
