"""settings_resolver: plugin defaults and derived settings, once per build.

Hooks ``initialized`` and calls ``newsroom.core.settings.resolve`` on the build's
settings: every plugin default (``DEFAULTS``) is applied and every derived
value (``PUBLIC_SITEURL``, ``SHARE_SITEURL``, ``FEED_DOMAIN``,
``SITE_LANGUAGE``, ``PUBLISHER_NAME``, ``PHOTO_CACHE_PATH``) computed from
the settings as they are after every override, ``-e KEY=VALUE`` included.

It must be the first entry of ``PLUGINS``: Pelican calls the receivers of a
signal in the order the plugins registered them, and the other plugins'
``initialized`` receivers (and everything after) read resolved settings.
A list that puts it later fails the build with a message saying so.
"""

from __future__ import annotations

from pelican import signals

from newsroom.core.settings import resolve

NAME = "settings_resolver"


def resolve_settings(pelican_object) -> None:
    settings = pelican_object.settings
    plugins = [str(name).rsplit(".", 1)[-1] for name in settings.get("PLUGINS") or ()]
    if plugins and plugins[0] != NAME:
        raise RuntimeError(
            f"the {NAME} plugin must be the first entry of PLUGINS (it is number "
            f"{plugins.index(NAME) + 1}); the plugins before it would read settings "
            "that are not resolved yet")
    resolve(settings)


def register():
    signals.initialized.connect(resolve_settings)
